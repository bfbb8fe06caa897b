// Heartbeat, idle timeout and backpressure of the WebSocket server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App } from 'weft'
import type { SendStatus, WebSocket } from 'weft/ws'
import { withServer } from '../helpers/server.ts'
import { deferred } from '../helpers/wait.ts'
import { RawClient, inbox, openClient, within, wsUrl } from './server-helpers.ts'

test('heartbeat: a peer that never answers pings is terminated (1006)', async () => {
  const closed = deferred<number>()
  const app = new App()
  app.ws('/hb', { close: (_ws, code) => closed.resolve(code) }, { heartbeat: 40 })
  await withServer(app, async (server) => {
    const raw = await RawClient.connect(server.port, '/hb')
    assert.equal(raw.status, 101)
    // The raw client reads frames but never answers them.
    await within(raw.ended, 5000, 'the dead peer to be terminated')
    assert.ok(raw.events.some((e) => e[0] === 'ping'), 'it was pinged first')
    assert.ok(!raw.events.some((e) => e[0] === 'close'), 'terminated, not closed')
    assert.equal(await within(closed.promise, 5000, 'close handler'), 1006)
  })
})

test('heartbeat: a peer that answers pings stays open', async () => {
  const app = new App()
  app.ws('/hb', {}, { heartbeat: { interval: 30 } })
  await withServer(app, async (server) => {
    const client = await openClient(wsUrl(server, '/hb'))
    let pings = 0
    const enough = deferred()
    client.on('ping', () => {
      if (++pings === 4) enough.resolve()
    })
    await within(enough.promise, 5000, 'four pings')
    assert.equal(client.readyState, client.OPEN)
    client.close()
  })
})

test('idle timeout without heartbeat closes with 1000 "idle timeout"', async () => {
  const app = new App()
  app.ws('/idle', {}, { heartbeat: false, idleTimeout: 80 })
  await withServer(app, async (server) => {
    const raw = await RawClient.connect(server.port, '/idle')
    assert.deepEqual(await raw.closeFrame(), [1000, 'idle timeout'])
    assert.ok(!raw.events.some((e) => e[0] === 'ping'))
    raw.socket.destroy()
  })
})

/** Sends `chunk` until the status is not 'sent' (bounded), returning the statuses seen. */
function fill(ws: WebSocket<unknown>, chunk: Buffer, max: number): SendStatus[] {
  const out: SendStatus[] = []
  for (let i = 0; i < max; i++) {
    const s = ws.send(chunk)
    out.push(s)
    if (s !== 'sent') break
  }
  return out
}

test('backpressure: send() says queued once the socket is full, and drain follows', async () => {
  const opened = deferred<WebSocket<unknown>>()
  const drained = deferred()
  const app = new App()
  app.ws('/bp', { open: (ws) => opened.resolve(ws), drain: () => drained.resolve() }, { maxBackpressure: 1024 ** 3 })
  await withServer(app, async (server) => {
    const raw = await RawClient.connect(server.port, '/bp')
    raw.socket.pause()
    const ws = await within(opened.promise, 5000, 'open')
    const statuses = fill(ws, Buffer.alloc(256 * 1024, 7), 1000)
    assert.equal(statuses.at(-1), 'queued')
    assert.ok(ws.bufferedAmount > 0)
    raw.socket.resume()
    await within(drained.promise, 10_000, 'drain')
    assert.equal(ws.bufferedAmount, 0)
    assert.equal(ws.send('after drain'), 'sent')
    raw.socket.destroy()
  })
})

test('maxBackpressure: a consumer too far behind gets its message dropped and a 1008 close', async () => {
  const opened = deferred<WebSocket<unknown>>()
  const app = new App()
  app.ws('/slow', { open: (ws) => opened.resolve(ws) }, { maxBackpressure: 1024 * 1024 })
  await withServer(app, async (server) => {
    const raw = await RawClient.connect(server.port, '/slow')
    raw.socket.pause()
    const ws = await within(opened.promise, 5000, 'open')
    const chunk = Buffer.alloc(128 * 1024, 1)
    const statuses: SendStatus[] = []
    for (let i = 0; i < 2000 && statuses.at(-1) !== 'dropped'; i++) statuses.push(ws.send(chunk))
    assert.equal(statuses.at(-1), 'dropped')
    assert.ok(statuses.includes('queued'), 'queued before dropped')
    assert.equal(ws.readyState, 2)
    assert.equal(ws.send('more'), 'dropped')
    raw.socket.resume()
    assert.deepEqual(await raw.closeFrame(10_000), [1008, 'send buffer limit exceeded'])
    raw.socket.destroy()
  })
})

test('the close timeout destroys a peer that never answers our close', async () => {
  const closed = deferred<number>()
  const app = new App()
  app.ws('/ct', { open: (ws) => ws.close(4000, 'go'), close: (_ws, code) => closed.resolve(code) }, { closeTimeout: 50 })
  await withServer(app, async (server) => {
    const raw = await RawClient.connect(server.port, '/ct')
    assert.deepEqual(await raw.closeFrame(), [4000, 'go'])
    await within(raw.ended, 5000, 'the socket to be destroyed')
    // No close frame came back: the connection dropped (1006).
    assert.equal(await within(closed.promise, 5000, 'close handler'), 1006)
  })
})

test('a client close while messages are queued: they go first, then the close', async () => {
  const app = new App()
  app.ws('/q', { message: (ws) => {
    for (let i = 0; i < 20; i++) ws.send(`m${i}`)
    ws.close(1000, 'done')
  } }, { deflate: { threshold: 0 } })
  await withServer(app, async (server) => {
    const client = await openClient(wsUrl(server, '/q'), { perMessageDeflate: true })
    const box = inbox(client)
    client.send('go')
    for (let i = 0; i < 20; i++) assert.equal((await box.next()).text, `m${i}`)
    assert.deepEqual(await box.closed, { code: 1000, reason: 'done' })
  })
})
