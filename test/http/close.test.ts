// Graceful shutdown: server.close({ timeout }).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, serve, type Request } from 'weft'
import { RawClient, delay, get, parseResponse } from '../helpers/raw.ts'
import { within } from '../helpers/wait.ts'

const STREAM_PARTS = 20
const streamBody = Array.from({ length: STREAM_PARTS }, (_, i) => `chunk-${i};`).join('')
const slowBody = 'slow:' + 'x'.repeat(5000)

function app(): App {
  const a = new App({ logErrors: false })
  a.get('/', () => 'ok')
  a.get('/slow', async () => {
    await delay(20 + Math.floor(Math.random() * 30))
    return slowBody
  })
  a.get('/stream', async function* () {
    for (let i = 0; i < STREAM_PARTS; i++) {
      yield `chunk-${i};`
      await delay(2)
    }
  })
  a.get('/hang', (req: Request) => new Promise((resolve) => req.signal.addEventListener('abort', () => resolve('too late'))))
  return a
}

test('close() stops accepting and closes idle keep-alive connections at once', async () => {
  const server = await serve(app(), { port: 0, keepAliveTimeout: 60_000 })
  const idle = await RawClient.open(server.port)
  try {
    idle.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    assert.equal((await idle.response()).status, 200)
    // Long keep-alive timeout: only close() can end this connection within the wait below.
    const closing = server.close({ timeout: 10_000 })
    await idle.closed(1000)
    assert.equal(idle.pending().length, 0, 'closed without sending anything')
    await within(closing, 2000, 'close() to resolve')
    await assert.rejects(RawClient.open(server.port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED')
  } finally {
    idle.destroy()
    await server.close()
  }
})

test('an in-flight request finishes, with Connection: close, before close() resolves', async () => {
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  let started!: () => void
  const entered = new Promise<void>((r) => (started = r))
  const a = new App({ logErrors: false })
  a.get('/wait', async () => {
    started()
    await gate
    return 'finished'
  })
  const server = await serve(a, { port: 0 })
  const c = await RawClient.open(server.port)
  try {
    c.write('GET /wait HTTP/1.1\r\nHost: x\r\n\r\n')
    await within(entered, 2000, 'the handler to start')
    let resolved = false
    const closing = server.close({ timeout: 5000 }).then(() => (resolved = true))
    await delay(50)
    assert.equal(resolved, false, 'close() waits for the request in flight')
    assert.equal(c.ended, false, 'the busy connection is left alone')
    release()
    const r = await c.response()
    assert.equal(r.status, 200)
    assert.equal(r.body.toString(), 'finished')
    assert.equal(r.header('connection'), 'close')
    await c.closed(2000)
    await within(closing, 2000, 'close() to resolve')
  } finally {
    c.destroy()
  }
})

test('a hung handler is destroyed at the deadline and close() resolves', async () => {
  let aborted = false
  const a = new App({ logErrors: false })
  let started!: () => void
  const entered = new Promise<void>((r) => (started = r))
  a.get('/hang', (req: Request) => {
    req.signal.addEventListener('abort', () => (aborted = true))
    started()
    return new Promise(() => {})
  })
  const server = await serve(a, { port: 0 })
  const c = await RawClient.open(server.port)
  try {
    c.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n')
    await within(entered, 2000, 'the handler to start')
    await within(server.close({ timeout: 300 }), 3000, 'close() to resolve at its deadline')
    await c.closed(1000)
    assert.equal(c.pending().length, 0, 'no partial answer')
    for (let i = 0; i < 40 && !aborted; i++) await delay(25)
    assert.equal(aborted, true, 'req.signal aborted for the abandoned request')
  } finally {
    c.destroy()
  }
})

interface LoadStats {
  complete: number
  cleanCloses: number
  refused: number
  truncated: string[]
}

/** One keep-alive client looping requests until the server goes away. */
async function loadClient(port: number, id: number, stats: LoadStats, stop: () => boolean): Promise<void> {
  for (let connection = 0; connection < 50 && !stop(); connection++) {
    let c: RawClient
    try {
      c = await RawClient.open(port)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
        stats.refused++
        return
      }
      throw e
    }
    try {
      for (let i = 0; i < 200; i++) {
        const path = (id + i) % 2 === 0 ? '/slow' : '/stream'
        const before = c.received
        if (c.ended) break
        c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)
        let r
        try {
          r = await c.response({ timeout: 5000 })
        } catch {
          // The connection ended without a full response: fine only if nothing of it arrived.
          if (c.received === before && c.pending().length === 0) stats.cleanCloses++
          else stats.truncated.push(`${path}: ${JSON.stringify(c.pending().toString().slice(-80))}`)
          break
        }
        const want = path === '/slow' ? slowBody : streamBody
        if (r.status !== 200 || r.body.toString() !== want) {
          stats.truncated.push(`${path}: status ${r.status}, ${r.body.length} bytes`)
          break
        }
        stats.complete++
        if (r.header('connection') === 'close') {
          await c.closed(2000)
          assert.equal(parseResponse(c.pending(), false, true) === 'incomplete' || c.pending().length === 0, true)
          break
        }
      }
    } finally {
      c.destroy()
    }
  }
}

test('close() under load: every response complete or a clean close, never truncated', async () => {
  const server = await serve(app(), { port: 0, keepAliveTimeout: 60_000 })
  const stats: LoadStats = { complete: 0, cleanCloses: 0, refused: 0, truncated: [] }
  let stopped = false
  const clients = Array.from({ length: 20 }, (_, id) => loadClient(server.port, id, stats, () => stopped))
  try {
    // Let the load build, then close in the middle of it.
    for (let i = 0; i < 100 && stats.complete < 100; i++) await delay(20)
    assert.ok(stats.complete >= 100, 'the load was running')
    const atClose = stats.complete
    await within(server.close({ timeout: 5000 }), 7000, 'close() to resolve under load')
    await within(Promise.all(clients), 10_000, 'the clients to finish')
    assert.deepEqual(stats.truncated, [], 'no response was cut short')
    assert.ok(stats.complete >= atClose)
    // Every client found the server gone one way or another.
    assert.ok(stats.refused + stats.cleanCloses >= 1)
  } finally {
    stopped = true
    await server.close()
  }
})

test('close() after close() returns the same promise; the signal option closes too', async () => {
  const server = await serve(app(), { port: 0 })
  const first = server.close()
  assert.equal(server.close(), first)
  await within(first, 2000, 'close')
  const controller = new AbortController()
  const s2 = await serve(app(), { port: 0, signal: controller.signal })
  assert.equal((await get(s2.port, '/')).status, 200)
  controller.abort()
  for (let i = 0; i < 40; i++) {
    if (!s2.node.listening) break
    await delay(25)
  }
  assert.equal(s2.node.listening, false)
  await s2.close()
})
