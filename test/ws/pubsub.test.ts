// Pub/sub: topics, publish to all or all but the sender, and one encoding per broadcast.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App } from 'weft'
import type { WebSocket } from 'weft/ws'
import { withServer } from '../helpers/server.ts'
import { inbox, openClient, within, wsUrl } from './server-helpers.ts'

const N = 5

/** An app whose /room connections subscribe to 'room' and are kept in `conns` (open order). */
function roomApp(options: Parameters<App['ws']>[2] = {}): { app: App; conns: WebSocket<unknown>[]; allOpen: (n: number) => Promise<void> } {
  const conns: WebSocket<unknown>[] = []
  let wake: (() => void) | null = null
  const app = new App()
  app.ws(
    '/room',
    {
      open(ws) {
        ws.subscribe('room')
        conns.push(ws)
        wake?.()
      },
      message(ws, m) {
        if (m === 'leave') ws.unsubscribe('room')
        else {
          ws.publish('room', m)
          ws.send('published')
        }
      },
    },
    options,
  )
  const allOpen = async (n: number): Promise<void> => {
    while (conns.length < n) await within(new Promise<void>((r) => (wake = r)), 5000, `${n} connections`)
  }
  return { app, conns, allOpen }
}

/** Records what each server-side socket is asked to write. */
function spyWrites(conns: WebSocket<unknown>[]): Buffer[][] {
  return conns.map((ws) => {
    const seen: Buffer[] = []
    const socket = ws.socket as unknown as { write: (...args: unknown[]) => boolean }
    const original = socket.write.bind(socket)
    socket.write = (...args: unknown[]) => {
      if (Buffer.isBuffer(args[0])) seen.push(args[0])
      return original(...args)
    }
    return seen
  })
}

test('app.publish reaches every subscriber; the frame is encoded once and the same Buffer written to each', async () => {
  const { app, conns, allOpen } = roomApp()
  await withServer(app, async (server) => {
    const clients = await Promise.all(Array.from({ length: N }, () => openClient(wsUrl(server, '/room'))))
    await allOpen(N)
    const writes = spyWrites(conns)
    assert.equal(app.publish('room', 'hello all'), N)
    assert.equal(app.publish('nobody-here', 'x'), 0)
    for (const c of clients) assert.equal((await inbox(c).next()).text, 'hello all')
    const frames = writes.map((w) => w[0])
    assert.equal(frames.length, N)
    for (const f of frames) assert.equal(f, frames[0], 'the very same Buffer for every subscriber')
    // Binary stays binary.
    app.publish('room', new Uint8Array([1, 2, 3]))
    for (const c of clients) {
      const m = await inbox(c).next()
      assert.equal(m.binary, true)
      assert.deepEqual([...m.data], [1, 2, 3])
    }
    for (const c of clients) c.close()
  })
})

test('ws.publish reaches everyone but the sender; topics, isSubscribed, unsubscribe and close', async () => {
  const { app, conns, allOpen } = roomApp()
  await withServer(app, async (server) => {
    const clients = await Promise.all(Array.from({ length: 3 }, () => openClient(wsUrl(server, '/room'))))
    await allOpen(3)
    assert.deepEqual(conns[0]!.topics, ['room'])
    assert.equal(conns[0]!.isSubscribed('room'), true)
    assert.equal(conns[0]!.isSubscribed('other'), false)
    // Find which client is which server connection: publish through client 0.
    clients[0]!.send('from zero')
    assert.equal((await inbox(clients[0]!).next()).text, 'published', 'the sender gets only its own ack')
    assert.equal((await inbox(clients[1]!).next()).text, 'from zero')
    assert.equal((await inbox(clients[2]!).next()).text, 'from zero')

    clients[1]!.send('leave')
    await within(
      (async () => {
        while (conns.filter((c) => c.isSubscribed('room')).length !== 2) await new Promise((r) => setTimeout(r, 5))
      })(),
      5000,
      'the unsubscribe',
    )
    assert.equal(app.publish('room', 'two left'), 2)
    clients[2]!.close()
    await inbox(clients[2]!).closed
    await within(
      (async () => {
        while (conns.filter((c) => c.readyState === 1).length !== 2) await new Promise((r) => setTimeout(r, 5))
      })(),
      5000,
      'the close',
    )
    assert.equal(app.publish('room', 'one left'), 1)
    assert.equal((await inbox(clients[0]!).next()).text, 'two left')
    assert.equal((await inbox(clients[0]!).next()).text, 'one left')
    clients[0]!.close()
    clients[1]!.close()
  })
})

test('with permessage-deflate, a broadcast is compressed once and shared by the subscribers', async () => {
  const { app, conns, allOpen } = roomApp({ deflate: { threshold: 64 } })
  await withServer(app, async (server) => {
    const clients = await Promise.all(Array.from({ length: N }, () => openClient(wsUrl(server, '/room'), { perMessageDeflate: true })))
    await allOpen(N)
    const writes = spyWrites(conns)
    const message = 'a compressible broadcast '.repeat(100)
    assert.equal(app.publish('room', message), N)
    for (const c of clients) assert.equal((await inbox(c).next()).text, message)
    const frames = writes.map((w) => w[0]!)
    for (const f of frames) {
      assert.equal(f, frames[0])
      assert.equal(f[0]! & 0x40, 0x40, 'compressed (RSV1)')
    }
    assert.ok(frames[0]!.length < message.length / 4)
    // And the connections still decode their own messages after a shared one.
    app.publish('room', 'short')
    conns[0]!.send('x'.repeat(1000))
    assert.equal((await inbox(clients[0]!).next()).text, 'short')
    assert.equal((await inbox(clients[0]!).next()).text, 'x'.repeat(1000))
    for (const c of clients) c.close()
  })
})
