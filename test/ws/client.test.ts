// The weft client against the `ws` package's server: messages, fragmentation, deflate,
// subprotocols, headers, ping/pong, close codes, limits and async iteration.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { connect, WebSocketError, type WebSocketMessage } from 'weft/ws'
import { Messages, closedWithin, nextEvent, within, wsServer } from './client-helpers.ts'

test('text and binary messages both ways, queued-before-open first', { timeout: 15_000 }, async () => {
  const peer = await wsServer()
  const seen: Array<[string, boolean]> = []
  peer.wss.on('connection', (c) =>
    c.on('message', (d: Buffer, binary: boolean) => {
      seen.push([binary ? d.toString('hex') : d.toString(), binary])
      c.send(d, { binary })
    }),
  )
  try {
    const ws = connect(peer.url)
    const inbox = new Messages(ws)
    assert.equal(ws.send('early'), 'queued')
    await within(ws.opened, 5000, 'open')
    assert.equal(ws.send('héllo ✓'), 'sent')
    assert.equal(ws.send(new Uint8Array([0, 1, 255])), 'sent')
    assert.equal(ws.send(Buffer.from('as text'), { binary: false }), 'sent')
    assert.equal(await inbox.next(), 'early')
    assert.equal(await inbox.next(), 'héllo ✓')
    const bin = await inbox.next()
    assert.ok(Buffer.isBuffer(bin))
    assert.equal((bin as Buffer).toString('hex'), '0001ff')
    assert.equal(await inbox.next(), 'as text')
    assert.deepEqual(seen, [['early', false], ['héllo ✓', false], ['0001ff', true], ['as text', false]])
    ws.close(1000)
    const info = await closedWithin(ws)
    assert.equal(info.code, 1000)
    assert.equal(ws.readyState, 3)
    assert.equal(ws.send('late'), 'dropped')
  } finally {
    await peer.close()
  }
})

test('fragmented messages from the server are reassembled', { timeout: 15_000 }, async () => {
  const peer = await wsServer()
  peer.wss.on('connection', (c) => {
    c.send('frag', { fin: false })
    c.send('men', { fin: false })
    c.send('ted', { fin: true })
    c.send(Buffer.from([1, 2]), { binary: true, fin: false })
    c.ping('in between')
    c.send(Buffer.from([3]), { binary: true, fin: true })
  })
  try {
    const ws = connect(peer.url)
    const inbox = new Messages(ws)
    assert.equal(await inbox.next(), 'fragmented')
    assert.deepEqual(await inbox.next(), Buffer.from([1, 2, 3]))
    ws.close(1000)
    await closedWithin(ws)
  } finally {
    await peer.close()
  }
})

test('permessage-deflate is negotiated and used both ways', { timeout: 15_000 }, async () => {
  const peer = await wsServer({ perMessageDeflate: { threshold: 0 } })
  let offer = ''
  let serverExtensions = ''
  let bytesRead = 0
  peer.wss.on('connection', (c, req: IncomingMessage) => {
    offer = String(req.headers['sec-websocket-extensions'])
    serverExtensions = c.extensions
    c.on('message', (d: Buffer, binary: boolean) => {
      bytesRead = req.socket.bytesRead
      c.send(d, { binary, compress: true })
    })
  })
  try {
    const ws = connect(peer.url, { deflate: { threshold: 0 } })
    const inbox = new Messages(ws)
    await within(ws.opened, 5000, 'open')
    assert.match(offer, /permessage-deflate/)
    assert.match(ws.extensions, /^permessage-deflate/)
    assert.equal(serverExtensions, 'permessage-deflate')
    const big = 'compress me '.repeat(5000)
    ws.send(big)
    assert.equal(await inbox.next(), big)
    // 60 KB of repetition arrived in far fewer bytes (the request head included): compressed.
    assert.ok(bytesRead < 5000, `server read ${bytesRead} bytes`)
    ws.send(new Uint8Array(3000).fill(7))
    assert.deepEqual(await inbox.next(), Buffer.alloc(3000, 7))
    ws.close(1000)
    await closedWithin(ws)
  } finally {
    await peer.close()
  }
})

test('subprotocols: the server picks one of the offered; custom headers and Origin reach it', { timeout: 15_000 }, async () => {
  const peer = await wsServer({ handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false) })
  let headers: IncomingMessage['headers'] = {}
  peer.wss.on('connection', (_c, req: IncomingMessage) => (headers = req.headers))
  try {
    const ws = connect(peer.url + '/path?q=1', { protocols: ['chat.v3', 'chat.v2'], headers: { authorization: 'Bearer t0k', 'x-multi': ['a', 'b'] }, origin: 'https://example.com' })
    await within(ws.opened, 5000, 'open')
    assert.equal(ws.protocol, 'chat.v2')
    assert.equal(headers['sec-websocket-protocol'], 'chat.v3, chat.v2')
    assert.equal(headers['authorization'], 'Bearer t0k')
    assert.equal(headers['x-multi'], 'a, b')
    assert.equal(headers['origin'], 'https://example.com')
    ws.close(1000)
    await closedWithin(ws)
    assert.throws(() => connect(peer.url, { headers: { 'Sec-WebSocket-Key': 'x' } }), /set by the WebSocket handshake/)
    assert.throws(() => connect(peer.url, { protocols: ['bad protocol'] }), /invalid subprotocol/)
  } finally {
    await peer.close()
  }
})

test('ping and pong both ways', { timeout: 15_000 }, async () => {
  const peer = await wsServer()
  const serverPongs: string[] = []
  peer.wss.on('connection', (c) => {
    c.on('pong', (d: Buffer) => serverPongs.push(d.toString()))
    c.ping('from server')
  })
  try {
    const ws = connect(peer.url)
    assert.equal(ws.ping('too early'), false)
    const ping = nextEvent<Buffer>((fn) => ws.once('ping', fn), 5000, 'a ping')
    await within(ws.opened, 5000, 'open')
    assert.equal((await ping).toString(), 'from server')
    const pong = nextEvent<Buffer>((fn) => ws.once('pong', fn), 5000, 'a pong')
    assert.equal(ws.ping('from client'), true)
    assert.equal((await pong).toString(), 'from client')
    // The automatic pong to the server's ping arrived too.
    for (let i = 0; i < 50 && serverPongs.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(serverPongs, ['from server'])
    ws.close(1000)
    await closedWithin(ws)
  } finally {
    await peer.close()
  }
})

test("close codes: the client's reaches the server, the server's reaches the client", { timeout: 15_000 }, async () => {
  const peer = await wsServer()
  const serverSaw: Array<[number, string]> = []
  peer.wss.on('connection', (c) => {
    c.on('close', (code: number, reason: Buffer) => serverSaw.push([code, reason.toString()]))
    c.on('message', (m: Buffer) => {
      if (m.toString() === 'close me') c.close(4001, 'as asked')
    })
  })
  try {
    const a = connect(peer.url)
    await within(a.opened, 5000, 'open')
    a.close(4321, 'bye')
    assert.deepEqual(await closedWithin(a), { code: 4321, reason: 'bye', wasClean: true })
    for (let i = 0; i < 100 && serverSaw.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(serverSaw, [[4321, 'bye']])

    const b = connect(peer.url)
    await within(b.opened, 5000, 'open')
    b.send('close me')
    assert.deepEqual(await closedWithin(b), { code: 4001, reason: 'as asked', wasClean: true })
    assert.throws(() => b.close(1005), /invalid close code/)
    const c = connect(peer.url)
    assert.throws(() => c.close(1000, 'x'.repeat(124)), /over 123 bytes/)
    c.terminate()
    assert.equal((await closedWithin(c)).code, 1006)
  } finally {
    await peer.close()
  }
})

test('a message over maxPayload fails the connection with 1009', { timeout: 15_000 }, async () => {
  const peer = await wsServer()
  const serverSaw: number[] = []
  peer.wss.on('connection', (c) => {
    c.on('close', (code: number) => serverSaw.push(code))
    c.send('x'.repeat(2000))
  })
  try {
    const errors: Error[] = []
    const ws = connect(peer.url, { maxPayload: 1000 })
    ws.on('error', (e) => errors.push(e))
    const info = await closedWithin(ws)
    assert.equal(info.code, 1009)
    assert.ok(errors[0] instanceof WebSocketError)
    assert.equal((errors[0] as WebSocketError).closeCode, 1009)
    for (let i = 0; i < 100 && serverSaw.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(serverSaw, [1009])
  } finally {
    await peer.close()
  }
})

test('async iteration yields messages (including those sent with the 101) and ends at close', { timeout: 15_000 }, async () => {
  const peer = await wsServer()
  peer.wss.on('connection', (c) => {
    c.send('one')
    c.send(Buffer.from([2]))
    c.send('three')
    c.close(1000, 'done')
  })
  try {
    const ws = connect(peer.url)
    await within(ws.opened, 5000, 'open')
    const got: WebSocketMessage[] = []
    await within(
      (async () => {
        for await (const m of ws) got.push(m)
      })(),
      5000,
      'the loop to end',
    )
    assert.deepEqual(got, ['one', Buffer.from([2]), 'three'])
    assert.deepEqual(await closedWithin(ws), { code: 1000, reason: 'done', wasClean: true })
  } finally {
    await peer.close()
  }
})

test('breaking out of the loop closes the client; a failed client makes the loop throw', { timeout: 15_000 }, async () => {
  const peer = await wsServer()
  peer.wss.on('connection', (c) => c.on('message', (d: Buffer) => c.send(d.toString())))
  try {
    const ws = connect(peer.url)
    ws.send('a')
    for await (const m of ws) {
      assert.equal(m, 'a')
      break
    }
    assert.equal((await closedWithin(ws)).code, 1000)
  } finally {
    await peer.close()
  }
  const dead = connect(peer.url) // the server is gone: connection refused
  await assert.rejects(
    within(
      (async () => {
        for await (const _ of dead) assert.fail('no message expected')
      })(),
      5000,
      'the loop to throw',
    ),
    /ECONNREFUSED/,
  )
  await assert.rejects(dead.opened, /ECONNREFUSED/)
})
