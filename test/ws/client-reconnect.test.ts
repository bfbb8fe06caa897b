// Reconnection: backoff with full jitter (a fake random source and fake timers: no wall-time
// assertions), the offline queue and its limit, and the cases that stop reconnecting.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { WebSocket as WsSocket } from 'ws'
import { backoffDelay, connect, WebSocketQueueFullError, type ReconnectInfo, type ReconnectTimers } from 'weft/ws'
import { closedWithin, Messages, nextEvent, rawServer, within, wsServer } from './client-helpers.ts'

/** Timers that run only when the test says so. */
class FakeTimers implements ReconnectTimers {
  readonly scheduled: Array<{ fn: () => void; ms: number; id: number }> = []
  readonly delays: number[] = []
  cleared = 0
  private nextId = 1
  private waiter: (() => void) | null = null

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++
    this.scheduled.push({ fn, ms, id })
    this.delays.push(ms)
    this.waiter?.()
    return id
  }

  clearTimeout(handle: unknown): void {
    const i = this.scheduled.findIndex((t) => t.id === handle)
    if (i >= 0) {
      this.scheduled.splice(i, 1)
      this.cleared++
    }
  }

  /** Waits (bounded) until a timer is scheduled, then runs it. */
  async fire(): Promise<number> {
    if (this.scheduled.length === 0) {
      await within(new Promise<void>((resolve) => (this.waiter = resolve)), 5000, 'a reconnection to be scheduled')
      this.waiter = null
    }
    const t = this.scheduled.shift()!
    t.fn()
    return t.ms
  }
}

/** A port nothing listens on (connections are refused). */
async function deadPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

test('backoffDelay: exponential window, capped, scaled by the random source (full jitter)', () => {
  const policy = { minDelay: 100, maxDelay: 1000, factor: 2, jitter: 'full' as const, random: () => 0.5 }
  assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, policy)), [50, 100, 200, 400, 500, 500, 500])
  assert.equal(backoffDelay(3, { ...policy, random: () => 0 }), 0)
  assert.equal(backoffDelay(3, { ...policy, random: () => 0.999 }), 799)
  assert.equal(backoffDelay(3, { ...policy, jitter: 'none' }), 800)
  assert.equal(backoffDelay(5000, { ...policy, factor: 10, random: () => 0.5 }), 500)
  // Real randomness stays inside [0, window].
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(2, { ...policy, random: Math.random })
    assert.ok(d >= 0 && d <= 400, String(d))
  }
})

test('the server drops the connection: the same client reconnects with backoff and flushes the queue in order', { timeout: 20_000 }, async () => {
  const peer = await wsServer()
  const received: string[][] = []
  const conns: WsSocket[] = []
  peer.wss.on('connection', (c) => {
    const mine: string[] = []
    received.push(mine)
    conns.push(c)
    c.on('message', (d: Buffer) => {
      mine.push(d.toString())
      c.send(`echo ${d.toString()}`)
    })
  })
  try {
    const timers = new FakeTimers()
    const ws = connect(peer.url, { reconnect: { minDelay: 100, maxDelay: 1000, random: () => 0.5, timers } })
    const inbox = new Messages(ws)
    const reconnects: ReconnectInfo[] = []
    ws.on('reconnect', (info) => reconnects.push(info))
    let opens = 0
    ws.on('open', () => opens++)
    ws.send('first')
    assert.equal(await inbox.next(), 'echo first')

    conns[0]!.terminate() // the connection drops without a close frame
    const info = await nextEvent<ReconnectInfo>((fn) => ws.once('reconnect', fn), 5000, 'the reconnect event')
    assert.equal(info.code, 1006)
    assert.equal(info.attempt, 1)
    assert.equal(info.delay, 50) // random 0.5 × min(1000, 100 × 2^0)
    assert.equal(ws.readyState, 0)
    for (const m of ['q1', 'q2', 'q3']) assert.equal(ws.send(m), 'queued')
    assert.equal(ws.bufferedAmount, 6)

    await timers.fire()
    assert.equal(await inbox.next(), 'echo q1')
    assert.equal(await inbox.next(), 'echo q2')
    assert.equal(await inbox.next(), 'echo q3')
    assert.deepEqual(received, [['first'], ['q1', 'q2', 'q3']])
    assert.equal(opens, 2)
    assert.equal(ws.readyState, 1)

    // Failed attempts grow the window; a successful open resets it.
    conns[1]!.terminate()
    await nextEvent((fn) => ws.once('reconnect', fn), 5000, 'a reconnect')
    assert.deepEqual(timers.delays, [50, 50])
    ws.close()
    const closed = await closedWithin(ws)
    assert.equal(timers.cleared, 1, 'the pending reconnection was cancelled')
    assert.equal(closed.code, 1005)
    assert.equal(reconnects.length, 2)
    assert.equal(timers.scheduled.length, 0)
  } finally {
    await peer.close()
  }
})

test('attempts exhausted: the client gives up with the last error; delays follow the backoff', { timeout: 20_000 }, async () => {
  const port = await deadPort()
  const timers = new FakeTimers()
  const ws = connect(`ws://127.0.0.1:${port}/`, { reconnect: { attempts: 3, minDelay: 100, factor: 3, maxDelay: 500, random: () => 0.5, timers } })
  let errors = 0
  ws.on('error', () => errors++)
  assert.equal(ws.send('held'), 'queued')
  for (let i = 0; i < 3; i++) await timers.fire()
  const info = await closedWithin(ws)
  assert.deepEqual(timers.delays, [50, 150, 250]) // 0.5 × min(500, 100 × 3^n)
  assert.equal(info.code, 1006)
  assert.match(String(info.error), /ECONNREFUSED/)
  assert.equal(errors, 4) // the first attempt and three reconnections
  await assert.rejects(ws.opened, /ECONNREFUSED/)
  assert.equal(ws.bufferedAmount, 0, 'the queue is dropped when the client gives up')
})

test('the offline queue is bounded by count and bytes, with a typed error', { timeout: 10_000 }, async () => {
  const port = await deadPort()
  const timers = new FakeTimers()
  const ws = connect(`ws://127.0.0.1:${port}/`, { reconnect: { timers }, queue: { messages: 2, bytes: 10 } })
  const errors: Error[] = []
  ws.on('error', (e) => errors.push(e))
  assert.equal(ws.send('12345'), 'queued')
  assert.equal(ws.send('123456'), 'dropped') // 11 bytes > 10
  assert.equal(ws.send('1234'), 'queued')
  assert.equal(ws.send('1'), 'dropped') // 3 messages > 2
  const full = errors.filter((e) => e instanceof WebSocketQueueFullError)
  assert.equal(full.length, 2)
  assert.match(full[0]!.message, /queue is full \(limit 2 messages \/ 10 bytes/)
  ws.close()
  await closedWithin(ws)
})

test("a user close stops reconnection; so does the server's 1000, while 1001 reconnects", { timeout: 20_000 }, async () => {
  const peer = await wsServer()
  const conns: WsSocket[] = []
  peer.wss.on('connection', (c) => conns.push(c))
  try {
    const timers = new FakeTimers()
    const ws = connect(peer.url, { reconnect: { timers, random: () => 0 } })
    await within(ws.opened, 5000, 'open')
    conns[0]!.close(1001, 'restarting')
    const info = await nextEvent<ReconnectInfo>((fn) => ws.once('reconnect', fn), 5000, 'a reconnect after 1001')
    assert.equal(info.code, 1001)
    assert.equal(info.reason, 'restarting')
    const reopened = nextEvent<void>((fn) => ws.once('open', () => fn()), 5000, 'the reconnection')
    await timers.fire()
    await reopened

    conns[1]!.close(1000, 'bye')
    assert.deepEqual(await closedWithin(ws), { code: 1000, reason: 'bye', wasClean: true })
    assert.equal(timers.delays.length, 1, 'no reconnection after 1000')

    const user = connect(peer.url, { reconnect: { timers } })
    let reconnects = 0
    user.on('reconnect', () => reconnects++)
    await within(user.opened, 5000, 'open')
    user.close(4000, 'done')
    assert.equal((await closedWithin(user)).code, 4000)
    assert.equal(reconnects, 0)
  } finally {
    await peer.close()
  }
})

test('shouldReconnect decides; a non-retryable handshake refusal stops by default', { timeout: 20_000 }, async () => {
  const peer = await wsServer()
  const conns: WsSocket[] = []
  peer.wss.on('connection', (c) => conns.push(c))
  try {
    const timers = new FakeTimers()
    const seen: number[] = []
    const ws = connect(peer.url, {
      reconnect: {
        timers,
        shouldReconnect: (info) => {
          seen.push(info.code)
          return info.code === 1000 // the opposite of the default, to show the hook decides
        },
      },
    })
    await within(ws.opened, 5000, 'open')
    conns[0]!.close(1000)
    await nextEvent((fn) => ws.once('reconnect', fn), 5000, 'a reconnect after 1000')
    await timers.fire()
    await nextEvent<void>((fn) => ws.once('open', () => fn()), 5000, 'the reconnection')
    conns[1]!.close(1001)
    assert.equal((await closedWithin(ws)).code, 1001)
    assert.deepEqual(seen, [1000, 1001])
  } finally {
    await peer.close()
  }

  const refusing = await rawServer((_h, s) => s.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'))
  try {
    const timers = new FakeTimers()
    const ws = connect(refusing.url, { reconnect: { timers } })
    const info = await closedWithin(ws)
    assert.match(String(info.error), /status 403/)
    assert.equal(timers.delays.length, 0)
  } finally {
    await refusing.close()
  }
})

test('reconnection with real timers and small delays (no timing asserted)', { timeout: 20_000 }, async () => {
  const peer = await wsServer()
  let n = 0
  peer.wss.on('connection', (c) => {
    if (++n < 3) c.terminate()
    else c.send('third time lucky')
  })
  try {
    const ws = connect(peer.url, { reconnect: { minDelay: 5, maxDelay: 20 } })
    const inbox = new Messages(ws)
    assert.equal(await inbox.next(8000), 'third time lucky')
    ws.close(1000)
    await closedWithin(ws)
    assert.equal(n, 3)
  } finally {
    await peer.close()
  }
})
