// The WebSocket server (app.ws) against the `ws` client and a raw socket: messages, handshake
// answers, close codes, protocol failures, middleware and hooks.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, text, type Server } from 'weft'
import type { WebSocket } from 'weft/ws'
import { withServer } from '../helpers/server.ts'
import { deferred } from '../helpers/wait.ts'
import { cframe, closePayload } from './helpers.ts'
import { inbox, RawClient, openClient, within, wsUrl } from './server-helpers.ts'

function echoApp(options: Parameters<App['ws']>[2] = {}): App {
  const app = new App()
  app.ws('/echo', { message: (ws, m) => void ws.send(m) }, options)
  return app
}

test('echoes text as text and binary as binary', async () => {
  await withServer(echoApp(), async (server) => {
    const client = await openClient(wsUrl(server, '/echo'))
    const box = inbox(client)
    client.send('héllo')
    client.send(Buffer.from([0, 1, 2, 255]))
    client.send('')
    const a = await box.next()
    assert.equal(a.binary, false)
    assert.equal(a.text, 'héllo')
    const b = await box.next()
    assert.equal(b.binary, true)
    assert.deepEqual([...b.data], [0, 1, 2, 255])
    const c = await box.next()
    assert.equal(c.binary, false)
    assert.equal(c.text, '')
    client.close()
    await box.closed
  })
})

test('large messages both ways, and fragmented ones reassembled', async () => {
  await withServer(echoApp(), async (server) => {
    const client = await openClient(wsUrl(server, '/echo'))
    const box = inbox(client)
    const big = Buffer.alloc(900 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
    client.send(big)
    const got = await box.next()
    assert.ok(got.data.equals(big))
    // Fragmented by the client: three frames of one text message.
    client.send('ab', { fin: false })
    client.send('cd', { fin: false })
    client.send('ef', { fin: true })
    assert.equal((await box.next()).text, 'abcdef')
    client.close()
    await box.closed
  })
})

test('fragments with a ping in between (raw frames): pong first, then the message', async () => {
  await withServer(echoApp(), async (server) => {
    const raw = await RawClient.connect(server.port, '/echo')
    assert.equal(raw.status, 101)
    raw.send(cframe({ opcode: 1, fin: false, payload: 'Hel' }), cframe({ opcode: 9, payload: 'p!' }), cframe({ opcode: 0, fin: false, payload: 'lo ' }), cframe({ opcode: 0, payload: 'wörld' }))
    const events = await raw.waitEvents(2)
    assert.deepEqual(events.slice(0, 2), [
      ['pong', 'p!'],
      ['text', 'Hello wörld'],
    ])
    raw.send(cframe({ opcode: 8, payload: closePayload(1000) }))
    assert.deepEqual(await raw.closeFrame(), [1000, ''])
    await within(raw.ended, 5000, 'the server to end TCP')
  })
})

test('permessage-deflate negotiated: compressed both ways, and declined when off', async () => {
  await withServer(echoApp({ deflate: { threshold: 16 } }), async (server) => {
    const client = await openClient(wsUrl(server, '/echo'), { perMessageDeflate: { threshold: 0 } })
    assert.match(client.extensions, /permessage-deflate/)
    const box = inbox(client)
    const msg = 'compress me please '.repeat(200)
    client.send(msg)
    assert.equal((await box.next()).text, msg)
    client.send('tiny')
    assert.equal((await box.next()).text, 'tiny')
    client.close()
    await box.closed

    // A raw client offering deflate sees RSV1 on the server's compressed answer.
    const raw = await RawClient.connect(server.port, '/echo', { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' })
    assert.match(raw.header('sec-websocket-extensions') ?? '', /^permessage-deflate; server_no_context_takeover/)
    raw.chunks.length = 0
    raw.send(cframe({ opcode: 1, payload: 'x'.repeat(100) }))
    await within(
      (async () => {
        while (raw.chunks.length === 0) await new Promise((r) => setTimeout(r, 5))
      })(),
      5000,
      'the answer',
    )
    assert.equal(raw.chunks[0]![0]! & 0x40, 0x40, 'RSV1 set: the answer is compressed')
    raw.socket.destroy()
  })
  await withServer(echoApp(), async (server) => {
    const client = await openClient(wsUrl(server, '/echo'), { perMessageDeflate: true })
    assert.equal(client.extensions, '')
    client.close()
  })
})

test('messages keep their order when compressed and uncompressed ones mix', async () => {
  const app = new App()
  app.ws(
    '/order',
    {
      open(ws) {
        for (let i = 0; i < 50; i++) ws.send(i % 3 === 0 ? `${i}:${'z'.repeat(5000)}` : `${i}`)
      },
    },
    { deflate: true },
  )
  await withServer(app, async (server) => {
    const client = await openClient(wsUrl(server, '/order'), { perMessageDeflate: true })
    const box = inbox(client)
    for (let i = 0; i < 50; i++) assert.equal((await box.next()).text.split(':')[0], String(i))
    client.close()
  })
})

test('ping and pong: the client gets its payload back; the server pings and sees the pong', async () => {
  const pong = deferred<string>()
  const app = new App()
  app.ws('/p', { open: (ws) => ws.ping('srv'), pong: (_ws, data) => pong.resolve(data.toString()) })
  await withServer(app, async (server) => {
    const client = await openClient(wsUrl(server, '/p'))
    const got = within(new Promise<string>((resolve) => client.once('pong', (d: Buffer) => resolve(d.toString()))), 5000, 'pong')
    client.ping('abc')
    assert.equal(await got, 'abc')
    assert.equal(await within(pong.promise, 5000, 'the server to see a pong'), 'srv')
    client.close()
  })
})

test('close codes and reasons both ways; no message after close', async () => {
  const serverClose = deferred<[number, string]>()
  let afterClose = 0
  const app = new App()
  app.ws('/c', {
    message(ws, m) {
      if (ws.readyState !== 1) afterClose++
      if (m === 'close me') ws.close(4002, 'as you wish')
    },
    close: (_ws, code, reason) => serverClose.resolve([code, reason]),
  })
  await withServer(app, async (server) => {
    const a = await openClient(wsUrl(server, '/c'))
    const inboxA = inbox(a)
    a.close(4001, 'bye now')
    assert.deepEqual(await inboxA.closed, { code: 4001, reason: '' })
    assert.deepEqual(await within(serverClose.promise, 5000, 'server close'), [4001, 'bye now'])

    const b = await openClient(wsUrl(server, '/c'))
    const inboxB = inbox(b)
    b.send('close me')
    b.send('too late')
    assert.deepEqual(await inboxB.closed, { code: 4002, reason: 'as you wish' })
    assert.equal(afterClose, 0)
  })
})

test('protocol failures close with the right code and end the connection', async () => {
  const errors: number[] = []
  const app = new App()
  app.ws('/echo', { message: (ws, m) => void ws.send(m), error: (_ws, e) => errors.push((e as Error & { closeCode: number }).closeCode) }, { maxPayload: 1024 })
  await withServer(app, async (server) => {
    const cases: Array<[string, Buffer, number]> = [
      ['unmasked frame', Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002],
      ['reserved opcode', cframe({ opcode: 3, payload: 'x' }), 1002],
      ['RSV1 without deflate', cframe({ opcode: 1, rsv: 0x40, payload: 'x' }), 1002],
      ['invalid UTF-8', cframe({ opcode: 1, payload: Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80]) }), 1007],
      ['too large', cframe({ opcode: 2, payload: Buffer.alloc(2000) }), 1009],
      ['close code 1005', cframe({ opcode: 8, payload: closePayload(1005) }), 1002],
    ]
    for (const [what, bytes, code] of cases) {
      const raw = await RawClient.connect(server.port, '/echo')
      raw.send(bytes)
      assert.equal((await raw.closeFrame())[0], code, what)
      await within(raw.ended, 6000, `the server to end TCP after ${what}`)
    }
    assert.deepEqual(errors, [1002, 1002, 1002, 1007, 1009, 1002])
  })
})

test('a too large message from the ws client closes with 1009', async () => {
  await withServer(echoApp({ maxPayload: 1000 }), async (server) => {
    const client = await openClient(wsUrl(server, '/echo'))
    const box = inbox(client)
    client.send(Buffer.alloc(1001))
    assert.equal((await box.closed).code, 1009)
  })
})

test('handshake answers: 426 for another version or a plain GET, 400 for a bad key, 405 for POST', async () => {
  await withServer(echoApp(), async (server) => {
    const v8 = await RawClient.connect(server.port, '/echo', { 'sec-websocket-version': '8' })
    assert.equal(v8.status, 426)
    assert.equal(v8.header('sec-websocket-version'), '13')
    const key = await RawClient.connect(server.port, '/echo', { 'sec-websocket-key': 'short' })
    assert.equal(key.status, 400)
    const post = await RawClient.connect(server.port, '/echo', {}, 'POST')
    assert.equal(post.status, 405)
    const plain = await fetch(`${server.url}/echo`)
    assert.equal(plain.status, 426)
    assert.equal(plain.headers.get('upgrade'), 'websocket')
    await plain.text()
    // An upgrade to a path with no WebSocket route gets that path's answer.
    const other = await RawClient.connect(server.port, '/nothing-here')
    assert.equal(other.status, 404)
    await within(other.ended, 5000, 'the refused socket to close')
  })
})

test('subprotocols: the server list picks, selectProtocol overrides', async () => {
  const app = new App()
  app.ws('/list', { open: (ws) => void ws.send(ws.protocol) }, { protocols: ['v2.chat', 'v1.chat'] })
  app.ws('/pick', {}, { selectProtocol: (offered) => offered.find((p) => p.startsWith('x-')) })
  await withServer(app, async (server) => {
    const a = await openClient(wsUrl(server, '/list'), {}, ['v1.chat', 'v2.chat'])
    assert.equal(a.protocol, 'v2.chat')
    assert.equal((await inbox(a).next()).text, 'v2.chat')
    a.close()
    const b = await openClient(wsUrl(server, '/pick'), {}, ['a', 'x-b'])
    assert.equal(b.protocol, 'x-b')
    b.close()
    // None in common: no subprotocol in the answer (the client then fails the handshake).
    await assert.rejects(openClient(wsUrl(server, '/list'), {}, ['v9']))
  })
})

test('origin check refuses with 403; middleware answers 401; upgrade hook refuses or sets data', async () => {
  const app = new App()
  app.use('/secure', (req, next) => (req.header('authorization') === 'Bearer ok' ? next() : text('no', { status: 401 })))
  app.ws('/o', {}, { origin: ['https://good.example'] })
  app.ws('/secure/:room', {
    upgrade: (req) => (req.query.get('deny') === '1' ? text('denied', { status: 403, headers: { 'x-why': 'hook' } }) : { room: req.params.room }),
    open: (ws) => void ws.send(`room ${ws.data.room}`),
  })
  await withServer(app, async (server) => {
    await assert.rejects(openClient(wsUrl(server, '/o'), { origin: 'https://evil.example' }), (e: { status?: number }) => e.status === 403)
    const ok = await openClient(wsUrl(server, '/o'), { origin: 'https://good.example' })
    ok.close()
    await assert.rejects(openClient(wsUrl(server, '/secure/lobby')), (e: { status?: number; body?: string }) => e.status === 401 && e.body === 'no')
    await assert.rejects(
      openClient(wsUrl(server, '/secure/lobby?deny=1'), { headers: { authorization: 'Bearer ok' } }),
      (e: { status?: number; headers?: Record<string, string> }) => e.status === 403 && e.headers?.['x-why'] === 'hook',
    )
    const c = await openClient(wsUrl(server, '/secure/lobby'), { headers: { authorization: 'Bearer ok' } })
    assert.equal((await inbox(c).next()).text, 'room lobby')
    c.close()
  })
})

test('a handler that throws closes with 1011 and reaches the error handler', async () => {
  const seen = deferred<string>()
  const app = new App()
  app.ws('/t', {
    message() {
      throw new Error('boom')
    },
    error: (_ws, e) => seen.resolve(e.message),
  })
  await withServer(app, async (server) => {
    const client = await openClient(wsUrl(server, '/t'))
    const box = inbox(client)
    client.send('x')
    assert.equal((await box.closed).code, 1011)
    assert.equal(await within(seen.promise, 5000, 'error handler'), 'boom')
  })
})

test('graceful server.close(): open connections receive 1001 and the close completes', async () => {
  const server: Server = await (await import('weft')).serve(echoApp(), { port: 0 })
  const clients = await Promise.all([0, 1, 2].map(() => openClient(wsUrl(server, '/echo'))))
  const inboxes = clients.map((c) => inbox(c))
  await within(server.close({ timeout: 3000 }), 5000, 'server.close()')
  for (const box of inboxes) assert.equal((await box.closed).code, 1001)
})

test('ws.data, remoteAddress and readyState are there for handlers', async () => {
  const opened = deferred<WebSocket<{ n: number }>>()
  const app = new App()
  app.ws('/d', { upgrade: () => ({ n: 7 }), open: (ws) => opened.resolve(ws) })
  await withServer(app, async (server) => {
    const client = await openClient(wsUrl(server, '/d'))
    const ws = await within(opened.promise, 5000, 'open')
    assert.equal(ws.data.n, 7)
    assert.equal(ws.remoteAddress, '127.0.0.1')
    assert.equal(ws.readyState, 1)
    client.close()
  })
})
