// serve() limits and timeouts, with small values so that each test is quick.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, type Request } from 'weft'
import { withServer } from '../helpers/server.ts'
import { RawClient, delay, get, parseResponse } from '../helpers/raw.ts'

function basic(): App {
  const app = new App({ logErrors: false })
  app.get('/', () => 'ok')
  app.post('/echo', async (req) => `got ${(await req.bytes()).length}`)
  return app
}

/** Writes `data` one byte every `every` ms until the server closes or the bytes run out. */
async function trickle(c: RawClient, data: string, every: number): Promise<number> {
  let sent = 0
  for (const ch of data) {
    if (c.ended) break
    c.write(ch)
    sent++
    await delay(every)
  }
  return sent
}

/** A status line if one came back, or 'closed' when the server hung up without one. */
function outcome(c: RawClient): string {
  const got = c.pending().toString('latin1')
  const m = /^HTTP\/1\.1 (\d{3})/.exec(got)
  return m === null ? (got === '' ? 'closed' : `garbage: ${got.slice(0, 40)}`) : m[1]!
}

test('maxHeaderSize → 431, and the server still answers', async () => {
  await withServer(
    basic(),
    async (server) => {
      const c = await RawClient.open(server.port)
      try {
        c.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2048)}\r\n\r\n`)
        const r = await c.response()
        assert.equal(r.status, 431)
        await c.closed()
      } finally {
        c.destroy()
      }
      // Just under the limit is fine.
      const ok = await get(server.port, '/', `X-Fits: ${'b'.repeat(700)}\r\n`)
      assert.equal(ok.status, 200)
    },
    { maxHeaderSize: 1024 },
  )
})

test('headersTimeout: a client sending the head one byte at a time gets 408 or a closed connection', async () => {
  await withServer(
    basic(),
    async (server) => {
      const c = await RawClient.open(server.port)
      try {
        const head = `GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`
        const sent = await trickle(c, head, 100)
        await c.closed(3000)
        assert.ok(sent < head.length, 'the server gave up before the head was complete')
        const result = outcome(c)
        assert.ok(result === '408' || result === 'closed', `unexpected answer: ${result}`)
      } finally {
        c.destroy()
      }
      assert.equal((await get(server.port, '/')).status, 200)
    },
    { headersTimeout: 400, requestTimeout: 2000 },
  )
})

test('requestTimeout: a body that arrives too slowly gets 408 or a closed connection', async () => {
  let handlerSawEnd = false
  const app = new App({ logErrors: false })
  app.get('/', () => 'ok')
  app.post('/slow', async (req: Request) => {
    await req.bytes()
    handlerSawEnd = true
    return 'complete'
  })
  await withServer(
    app,
    async (server) => {
      const c = await RawClient.open(server.port)
      try {
        c.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n')
        const sent = await trickle(c, 'x'.repeat(100), 50)
        await c.closed(3000)
        assert.ok(sent < 100, 'the server gave up before the body was complete')
        const result = outcome(c)
        assert.ok(result === '408' || result === 'closed', `unexpected answer: ${result}`)
        assert.equal(handlerSawEnd, false)
      } finally {
        c.destroy()
      }
      assert.equal((await get(server.port, '/')).status, 200)
    },
    { headersTimeout: 300, requestTimeout: 600 },
  )
})

test('keepAliveTimeout closes an idle connection', async () => {
  await withServer(
    basic(),
    async (server) => {
      const c = await RawClient.open(server.port)
      try {
        c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        const r = await c.response()
        assert.equal(r.status, 200)
        assert.notEqual(r.header('connection'), 'close')
        assert.match(r.header('keep-alive') ?? '', /timeout=/)
        await c.closed(3000)
        assert.equal(c.pending().length, 0, 'closed without sending anything')
      } finally {
        c.destroy()
      }
    },
    { keepAliveTimeout: 200 },
  )
})

test('maxRequestsPerConnection: Connection: close on the last one, then the socket closes', async () => {
  await withServer(
    basic(),
    async (server) => {
      const c = await RawClient.open(server.port)
      try {
        for (let i = 1; i <= 3; i++) {
          c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
          const r = await c.response()
          assert.equal(r.status, 200)
          if (i < 3) assert.notEqual(r.header('connection'), 'close', `request ${i}`)
          else assert.equal(r.header('connection'), 'close', 'the last one says close')
        }
        await c.closed()
      } finally {
        c.destroy()
      }
      // Pipelined past the limit: node:http answers the extra request with 503.
      const p = await RawClient.open(server.port)
      try {
        p.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(4))
        const statuses: number[] = []
        for (let i = 0; i < 4; i++) {
          try {
            statuses.push((await p.response()).status)
          } catch {
            break
          }
        }
        assert.deepEqual(statuses.slice(0, 3), [200, 200, 200])
        assert.ok(statuses.length === 3 || statuses[3] === 503, `after the limit: ${statuses[3]}`)
        await p.closed()
      } finally {
        p.destroy()
      }
    },
    { maxRequestsPerConnection: 3 },
  )
})

test('sendTimeout: a client that never reads a streamed body has its connection destroyed', async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x62)
  let produced = 0
  let cleanedUp = false
  let aborted = false
  const app = new App({ logErrors: false })
  app.get('/flood', (req: Request) => {
    req.signal.addEventListener('abort', () => (aborted = true))
    return (async function* () {
      try {
        for (let i = 0; i < 4000; i++) {
          produced++
          yield chunk
        }
      } finally {
        cleanedUp = true
      }
    })()
  })
  app.get('/', () => 'ok')
  await withServer(
    app,
    async (server) => {
      const c = await RawClient.open(server.port)
      try {
        c.socket.pause()
        c.write('GET /flood HTTP/1.1\r\nHost: x\r\n\r\n')
        await c.waitFor(() => cleanedUp, 5000, "the generator's finally after the send timeout").catch(() => {})
        assert.equal(cleanedUp, true, "the producer was closed (its finally ran) when the send timed out")
        assert.equal(aborted, true, 'req.signal aborted')
        assert.ok(produced < 4000, 'the producer was stopped early')
        // The client finally reads: what it gets is an incomplete body and a closed connection.
        c.socket.resume()
        await c.closed(5000)
        assert.equal(parseResponse(c.pending(), false, false), 'incomplete')
      } finally {
        c.destroy()
      }
      assert.equal((await get(server.port, '/')).status, 200)
    },
    { sendTimeout: 300 },
  )
})
