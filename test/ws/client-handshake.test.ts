// The client's handshake validation against a raw server that answers by hand: every invalid
// answer fails `opened` (and the 'error' event) with a WebSocketHandshakeError that says why.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { connect, WebSocketHandshakeError } from 'weft/ws'
import { closedWithin, good101, rawServer, requestKey, within } from './client-helpers.ts'

async function expectFailure(answer: (head: string, socket: Socket) => void, pattern: RegExp, options: Parameters<typeof connect>[1] = {}): Promise<WebSocketHandshakeError> {
  const server = await rawServer(answer)
  try {
    const ws = connect(server.url, options)
    const errors: Error[] = []
    ws.on('error', (e) => errors.push(e))
    const error = await within(ws.opened.then(() => assert.fail('the handshake should fail'), (e: unknown) => e), 5000, 'the handshake to fail')
    assert.ok(error instanceof WebSocketHandshakeError, String(error))
    assert.match(error.message, pattern)
    const info = await closedWithin(ws)
    assert.equal(info.code, 1006)
    assert.equal(info.error, error)
    assert.deepEqual(errors, [error])
    assert.equal(ws.readyState, 3)
    return error
  } finally {
    await server.close()
  }
}

test('a wrong Sec-WebSocket-Accept fails', { timeout: 10_000 }, async () => {
  await expectFailure((_head, s) => s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'), /invalid Sec-WebSocket-Accept/)
})

test('an extension the client did not offer fails', { timeout: 10_000 }, async () => {
  await expectFailure((head, s) => s.write(good101(head, 'Sec-WebSocket-Extensions: permessage-deflate\r\n')), /extension that was not offered: permessage-deflate/)
  await expectFailure((head, s) => s.write(good101(head, 'Sec-WebSocket-Extensions: x-custom\r\n')), /not offered: x-custom/, { deflate: true })
})

test('invalid permessage-deflate parameters in the answer fail', { timeout: 10_000 }, async () => {
  await expectFailure((head, s) => s.write(good101(head, 'Sec-WebSocket-Extensions: permessage-deflate; bogus_param\r\n')), /invalid permessage-deflate response: unknown parameter/, { deflate: true })
  await expectFailure((head, s) => s.write(good101(head, 'Sec-WebSocket-Extensions: permessage-deflate\r\n')), /server_max_window_bits was offered but not accepted/, { deflate: { serverMaxWindowBits: 10 } })
})

test('a subprotocol the client did not offer fails, and so does one when none was offered', { timeout: 10_000 }, async () => {
  await expectFailure((head, s) => s.write(good101(head, 'Sec-WebSocket-Protocol: chat.v9\r\n')), /subprotocol that was not offered: chat.v9/, { protocols: ['chat.v1'] })
  await expectFailure((head, s) => s.write(good101(head, 'Sec-WebSocket-Protocol: chat.v1\r\n')), /not offered: chat.v1/)
})

test('a non-101 status fails with the status; 503 is retryable, 403 is not', { timeout: 10_000 }, async () => {
  const e403 = await expectFailure((_h, s) => s.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'), /unexpected status 403 Forbidden \(expected 101/)
  assert.equal(e403.status, 403)
  assert.equal(e403.retryable, false)
  const e503 = await expectFailure((_h, s) => s.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\nno'), /unexpected status 503/)
  assert.equal(e503.retryable, true)
  const e200 = await expectFailure((_h, s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'), /unexpected status 200/)
  assert.equal(e200.headers?.['content-length'], '2')
})

test('redirects are not followed', { timeout: 10_000 }, async () => {
  const e = await expectFailure((_h, s) => s.end('HTTP/1.1 302 Found\r\nLocation: ws://elsewhere.test/\r\nContent-Length: 0\r\n\r\n'), /status 302.*redirects are not followed; Location: ws:\/\/elsewhere.test\//)
  assert.equal(e.status, 302)
})

test('a 101 without Upgrade: websocket fails', { timeout: 10_000 }, async () => {
  await expectFailure((head, s) => s.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nSec-WebSocket-Accept: x\r\n\r\n`), /Upgrade header must name websocket|not a WebSocket upgrade/)
})

test('no answer within handshakeTimeout fails', { timeout: 10_000 }, async () => {
  await expectFailure(() => {}, /no answer within 100 ms \(handshakeTimeout\)/, { handshakeTimeout: 100 })
})

test('the request carries the handshake headers; frames that came with the 101 are read', { timeout: 10_000 }, async () => {
  let head = ''
  const server = await rawServer((h, s) => {
    head = h
    // The 101 and a first unmasked text frame "hi" in one write.
    s.write(Buffer.concat([Buffer.from(good101(h), 'latin1'), Buffer.from([0x81, 0x02, 0x68, 0x69])]))
  })
  try {
    const ws = connect(server.url.replace('ws:', 'http:') + 'chat?room=1', { protocols: 'p1', deflate: true })
    const first = within(new Promise((resolve) => ws.once('message', resolve)), 5000, 'the first message')
    assert.equal(await first, 'hi')
    assert.match(head, /^GET \/chat\?room=1 HTTP\/1.1\r\n/)
    assert.match(head, /\r\nupgrade: websocket\r\n/i)
    assert.match(head, /\r\nconnection: upgrade\r\n/i)
    assert.match(head, /\r\nsec-websocket-version: 13\r\n/i)
    assert.match(head, /\r\nsec-websocket-protocol: p1\r\n/i)
    assert.match(head, /\r\nsec-websocket-extensions: permessage-deflate; client_max_window_bits\r\n/i)
    assert.equal(Buffer.from(requestKey(head), 'base64').length, 16)
    ws.terminate()
    await closedWithin(ws)
  } finally {
    await server.close()
  }
})

test('invalid URLs and options throw at once', () => {
  assert.throws(() => connect('ftp://example.com/'), /ws:\/\/ or wss:\/\//)
  assert.throws(() => connect('ws://example.com/#frag'), /fragment/)
  assert.throws(() => connect('not a url'), TypeError)
  assert.throws(() => connect('ws://127.0.0.1:1/', { maxPayload: 0 }), /maxPayload/)
  assert.throws(() => connect('ws://127.0.0.1:1/', { reconnect: { factor: 0.5 } }), /factor/)
  assert.throws(() => connect('ws://127.0.0.1:1/', { deflate: { clientMaxWindowBits: 20 } }), /clientMaxWindowBits/)
})
