// Hostile and malformed requests on raw sockets. Each case expects a definite status (or a
// closed connection), that the request never reached the app when it is rejected, and that the
// same server answers a normal request afterwards. Every wait is bounded.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, type Request } from 'weft'
import { withServer } from '../helpers/server.ts'
import { RawClient, delay, exchange, get } from '../helpers/raw.ts'

interface Seen {
  calls: number
  errors: string[]
}

function hostileApp(seen: Seen): App {
  const app = new App({ logErrors: false })
  app.get('/', () => 'ok')
  app.get('/stream', async function* () {
    for (let i = 0; i < 50; i++) {
      yield `part ${i};`
      await delay(2)
    }
  })
  app.all('/echo', async (req: Request) => {
    seen.calls++
    try {
      const body = await req.bytes()
      return { path: req.path, url: req.url, host: req.host, length: body.length }
    } catch (error) {
      seen.errors.push((error as Error).message)
      throw error
    }
  })
  return app
}

const OPTIONS = { headersTimeout: 1500, requestTimeout: 3000, maxHeaderSize: 2048 }

/** Rejected by the parser before the app sees anything: status, then a closed connection. */
const rejected: Array<[string, string, number]> = [
  ['bad request line', 'GARBAGE\r\n\r\n', 400],
  ['HTTP/0.9 request line (no version)', 'GET /\r\nHost: x\r\n\r\n', 505],
  ['unknown HTTP version 9.9', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n', 400],
  ['unknown HTTP version 1.2', 'GET / HTTP/1.2\r\nHost: x\r\n\r\n', 400],
  ['invalid method characters', 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['Content-Length with Transfer-Encoding (smuggling)', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['Transfer-Encoding then Content-Length', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n', 400],
  ['duplicate differing Content-Length', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400],
  ['Content-Length list', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd', 400],
  ['non-numeric Content-Length', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
  ['negative Content-Length', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400],
  ['Transfer-Encoding not ending in chunked', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n', 400],
  ['oversized headers', `GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`, 431],
  ['many headers past the size limit', `GET /echo HTTP/1.1\r\nHost: x\r\n${'X-H: 1234567890\r\n'.repeat(200)}\r\n`, 431],
  ['space in a header name', 'GET /echo HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n', 400],
  ['space before the colon', 'GET /echo HTTP/1.1\r\nHost : x\r\n\r\n', 400],
  ['control character in a header name', 'GET /echo HTTP/1.1\r\nHost: x\r\nX\x01Y: v\r\n\r\n', 400],
  ['control character in a header value', 'GET /echo HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n', 400],
  ['DEL in a header value', 'GET /echo HTTP/1.1\r\nHost: x\r\nX: a\x7fb\r\n\r\n', 400],
  ['obs-fold (folded header line)', 'GET /echo HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  continued\r\n\r\n', 400],
  ['bare LF line endings', 'GET /echo HTTP/1.1\nHost: x\n\n', 400],
  ['NUL in the target', 'GET /echo\0 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['NUL in a header value', 'GET /echo HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n', 400],
  ['NUL in the method', 'G\0T /echo HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['missing Host in HTTP/1.1', 'GET /echo HTTP/1.1\r\n\r\n', 400],
  ['target without a leading slash', 'GET echo HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['asterisk target on GET', 'GET * HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['HTTP/2.0 in an HTTP/1 request line', 'GET /echo HTTP/2.0\r\nHost: x\r\n\r\n', 505],
  ['h2c prior-knowledge preface on an HTTP/1 server', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400],
]

/** Parsed as far as the head, then broken inside the body: the app may have started. */
const brokenBody: Array<[string, string]> = [
  // llhttp refuses a request Transfer-Encoding that does not end in chunked once the body starts.
  ['unknown Transfer-Encoding', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxx'],
  ['bad chunk size', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'],
  ['NUL in a chunk extension', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;\0\r\nabc\r\n0\r\n\r\n'],
  ['chunk longer than its size', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n'],
  ['chunk size overflow', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n'],
]

test('hostile requests get the right answer and the server keeps serving', async (t) => {
  const seen: Seen = { calls: 0, errors: [] }
  await withServer(
    hostileApp(seen),
    async (server) => {
      for (const [name, data, status] of rejected) {
        await t.test(`${name} → ${status}`, async () => {
          const before = seen.calls
          const r = await exchange(server.port, data, 2000)
          assert.match(r.text, new RegExp(`^HTTP/1\\.1 ${status} `), `got ${JSON.stringify(r.text.slice(0, 60))}`)
          assert.equal(r.closed, true, 'the connection is closed after the error')
          assert.equal(seen.calls, before, 'the request never reached the app')
          assert.equal((await get(server.port, '/')).status, 200)
        })
      }
      for (const [name, data] of brokenBody) {
        await t.test(`${name} → 400 or closed, never a 2xx`, async () => {
          const r = await exchange(server.port, data, 2000)
          assert.equal(r.closed, true, 'the connection is closed')
          assert.ok(r.text === '' || /^HTTP\/1\.1 (400|500) /.test(r.text), `got ${JSON.stringify(r.text.slice(0, 60))}`)
          assert.equal((await get(server.port, '/')).status, 200)
        })
      }
    },
    OPTIONS,
  )
})

test('pipelined requests after a bad one are not processed', async () => {
  const seen: Seen = { calls: 0, errors: [] }
  await withServer(
    hostileApp(seen),
    async (server) => {
      const r = await exchange(server.port, 'GET /echo HTTP/1.1\r\nHost: x\r\n\r\nBROKEN LINE\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n\r\n', 2000)
      assert.equal(r.closed, true)
      const statuses = [...r.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1])
      assert.deepEqual(statuses, ['200', '400'])
      assert.equal(seen.calls, 1)
      // A streamed answer in flight is finished whole before the error is answered.
      const s = await exchange(server.port, 'GET /stream HTTP/1.1\r\nHost: x\r\n\r\nBROKEN LINE\r\n\r\n', 2000)
      assert.equal(s.closed, true)
      assert.match(s.text, /part 49;\r\n0\r\n\r\nHTTP\/1\.1 400 /)
    },
    OPTIONS,
  )
})

test('a truncated chunked body then a disconnect: the body reader fails, the server keeps serving', async () => {
  const seen: Seen = { calls: 0, errors: [] }
  await withServer(
    hostileApp(seen),
    async (server) => {
      const c = await RawClient.open(server.port)
      c.write('POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly part')
      await delay(50)
      c.destroy()
      for (let i = 0; i < 40 && seen.errors.length === 0; i++) await delay(25)
      assert.equal(seen.calls, 1)
      assert.equal(seen.errors.length, 1, 'the handler saw the body fail')
      assert.equal((await get(server.port, '/')).status, 200)
    },
    OPTIONS,
  )
})

test('a truncated Content-Length body then a disconnect', async () => {
  const seen: Seen = { calls: 0, errors: [] }
  await withServer(
    hostileApp(seen),
    async (server) => {
      const c = await RawClient.open(server.port)
      c.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort')
      await delay(50)
      c.destroy()
      for (let i = 0; i < 40 && seen.errors.length === 0; i++) await delay(25)
      assert.equal(seen.errors.length, 1)
      assert.equal((await get(server.port, '/')).status, 200)
    },
    OPTIONS,
  )
})

test('a client sending one byte a second gets 408 or a closed connection, within a bound', async () => {
  const seen: Seen = { calls: 0, errors: [] }
  await withServer(
    hostileApp(seen),
    async (server) => {
      const c = await RawClient.open(server.port)
      try {
        const head = 'GET /echo HTTP/1.1\r\nHost: x\r\n\r\n'
        let sent = 0
        for (; sent < head.length && !c.ended; sent++) {
          c.write(head[sent]!)
          await Promise.race([delay(1000), c.closed(1000).catch(() => {})])
        }
        await c.closed(3000)
        assert.ok(sent < head.length, 'the server gave up before the head was complete')
        const text = c.pending().toString('latin1')
        assert.ok(text === '' || text.startsWith('HTTP/1.1 408 '), `got ${JSON.stringify(text.slice(0, 60))}`)
        assert.equal(seen.calls, 0)
      } finally {
        c.destroy()
      }
      assert.equal((await get(server.port, '/')).status, 200)
    },
    OPTIONS,
  )
})

test('absolute-form targets route on the path and take the host from the target', async () => {
  const seen: Seen = { calls: 0, errors: [] }
  await withServer(
    hostileApp(seen),
    async (server) => {
      const r = await get(server.port, 'http://example.com:8080/echo?x=1')
      assert.equal(r.status, 200)
      assert.deepEqual(JSON.parse(r.body.toString()), { path: '/echo', url: '/echo?x=1', host: 'example.com:8080', length: 0 })
      const q = await get(server.port, 'HTTP://Example.com?y=2')
      assert.equal(q.status, 200, 'an empty path is the root')
    },
    OPTIONS,
  )
})

test('OPTIONS * is answered without reaching the routes', async () => {
  const seen: Seen = { calls: 0, errors: [] }
  await withServer(
    hostileApp(seen),
    async (server) => {
      const r = await exchange(server.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', 2000)
      assert.match(r.text, /^HTTP\/1\.1 204 /)
      assert.equal(seen.calls, 0)
      assert.equal((await get(server.port, '/')).status, 200)
    },
    OPTIONS,
  )
})

test('CONNECT (authority-form) is refused by closing the connection', async () => {
  const seen: Seen = { calls: 0, errors: [] }
  await withServer(
    hostileApp(seen),
    async (server) => {
      const r = await exchange(server.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 2000)
      assert.equal(r.closed, true)
      assert.ok(!/^HTTP\/1\.1 2/.test(r.text), 'no tunnel is opened')
      assert.equal(seen.calls, 0)
      assert.equal((await get(server.port, '/')).status, 200)
    },
    OPTIONS,
  )
})

test('HTTP/1.0 is served and the connection closes after the response', async () => {
  const seen: Seen = { calls: 0, errors: [] }
  await withServer(
    hostileApp(seen),
    async (server) => {
      const r = await exchange(server.port, 'GET / HTTP/1.0\r\n\r\n', 2000)
      assert.match(r.text, /^HTTP\/1\.1 200 /)
      assert.match(r.text, /\r\n\r\nok$/)
      assert.equal(r.closed, true)
    },
    OPTIONS,
  )
})
