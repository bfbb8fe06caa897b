import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { request } from 'undici'
import { App, DEFAULT_BODY_LIMIT } from 'weft'
import { bodyLimit, parseByteSize } from 'weft/middleware'
import { rawExchange, withServer } from './socket.ts'

/** A request body that records whether anyone started reading it. */
function trackedBody(chunks: readonly string[]): { body: AsyncIterable<Uint8Array>; pulled: () => number } {
  let pulled = 0
  return {
    pulled: () => pulled,
    body: (async function* () {
      for (const c of chunks) {
        pulled++
        yield Buffer.from(c)
      }
    })(),
  }
}

function uploadApp(): { app: App; calls: () => number; framing: string[] } {
  let calls = 0
  const framing: string[] = []
  const app = new App({ logErrors: false })
  app.post('/upload', bodyLimit(10), async (req) => {
    calls++
    framing.push(req.header('transfer-encoding') ?? `length ${req.header('content-length')}`)
    return { limit: req.bodyLimit, got: (await req.text()).length }
  })
  app.post('/default', async (req) => ({ limit: req.bodyLimit }))
  return { app, calls: () => calls, framing }
}

test('bodyLimit: a body within the limit is read as usual', async () => {
  const { app } = uploadApp()
  const res = await app.request('/upload', { method: 'POST', body: '0123456789' })
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { limit: 10, got: 10 })
  const other = await app.request('/default', { method: 'POST', body: 'x' })
  assert.deepEqual(await other.json(), { limit: DEFAULT_BODY_LIMIT }, 'only the route it is on gets the limit')
})

test('bodyLimit: Content-Length over the limit → 413 before next(), body never read', async () => {
  const { app, calls } = uploadApp()
  const tracked = trackedBody(['01234', '56789', 'X'])
  const res = await app.request('/upload', { method: 'POST', body: tracked.body, headers: { 'content-length': '11' } })
  assert.equal(res.status, 413)
  assert.equal(res.headers.get('connection'), 'close')
  assert.match(await res.text(), /limit of 10 bytes/)
  assert.equal(calls(), 0, 'the handler did not run')
  assert.equal(tracked.pulled(), 0, 'no byte of the body was pulled')
})

test('bodyLimit: absurd Content-Length values are 413 too', async () => {
  const { app, calls } = uploadApp()
  for (const length of ['99999999999999999999999999999', '1e400', '11']) {
    const tracked = trackedBody(['x'])
    const res = await app.request('/upload', { method: 'POST', body: tracked.body, headers: { 'content-length': length } })
    assert.equal(res.status, 413, length)
    assert.equal(tracked.pulled(), 0)
  }
  assert.equal(calls(), 0)
})

test('bodyLimit: a chunked body (no Content-Length) over the limit → 413 while reading', async () => {
  const { app } = uploadApp()
  const tracked = trackedBody(['01234', '56789', 'X', 'never reached'])
  const res = await app.request('/upload', { method: 'POST', body: tracked.body })
  assert.equal(res.status, 413)
  assert.equal(tracked.pulled(), 3, 'reading stopped at the chunk that crossed the limit')
})

test('bodyLimit: per prefix, and raising the app default for one route', async () => {
  const app = new App({ bodyLimit: 4, logErrors: false })
  app.use('/files', bodyLimit({ limit: '1kb' }))
  app.post('/files/put', async (req) => (await req.bytes()).length)
  app.post('/small', async (req) => (await req.bytes()).length)
  // Typed route parameters still flow through to the handler after the middleware.
  app.put('/named/:name', bodyLimit(8), async (req) => `${req.params.name}:${(await req.text()).length}`)
  const big = 'y'.repeat(1024)
  const ok = await app.request('/files/put', { method: 'POST', body: big })
  assert.equal(ok.status, 200)
  assert.equal(await ok.text(), '1024')
  assert.equal((await app.request('/files/put', { method: 'POST', body: big + 'y' })).status, 413)
  assert.equal((await app.request('/small', { method: 'POST', body: '12345' })).status, 413, 'the app limit still holds elsewhere')
  assert.equal(await (await app.request('/named/n1', { method: 'PUT', body: '12345678' })).text(), 'n1:8')
})

test('parseByteSize and option checks', () => {
  assert.equal(parseByteSize(0), 0)
  assert.equal(parseByteSize(10e6), 10_000_000)
  assert.equal(parseByteSize('2048'), 2048)
  assert.equal(parseByteSize('512kb'), 512 * 1024)
  assert.equal(parseByteSize('1.5MB'), 1.5 * 1024 * 1024)
  assert.equal(parseByteSize(' 1 gb '), 1024 ** 3)
  assert.equal(parseByteSize(Infinity), Infinity)
  for (const bad of ['', 'ten', '-1', '1tb', '1e3', '10 m b']) assert.throws(() => parseByteSize(bad), TypeError, bad)
  assert.throws(() => bodyLimit(-1), RangeError)
  assert.throws(() => bodyLimit(NaN), RangeError)
})

test('bodyLimit: over a real socket, a huge Content-Length is refused without waiting for the body', async () => {
  const { app, calls } = uploadApp()
  await withServer(app, async (server) => {
    // The server answers and closes although the promised gigabyte never comes.
    const raw = await rawExchange(server, ['POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n', '0123'])
    assert.match(raw, /^HTTP\/1\.1 413 /)
    assert.match(raw, /\r\nconnection: close\r\n/i)
    assert.equal(calls(), 0)
  })
})

test('bodyLimit: over a real socket, a chunked upload over the limit is cut off with 413', async () => {
  const { app, framing } = uploadApp()
  await withServer(app, async (server) => {
    const res = await request(`${server.url}/upload`, {
      method: 'POST',
      // No length known up front: undici sends it chunked.
      body: Readable.from(
        (async function* () {
          for (let i = 0; i < 4; i++) yield Buffer.from('abcdef')
        })(),
      ),
    })
    assert.equal(res.statusCode, 413)
    assert.match(await res.body.text(), /limit of 10 bytes/)
    const ok = await request(`${server.url}/upload`, { method: 'POST', body: 'abc' })
    assert.equal(ok.statusCode, 200)
    assert.deepEqual(await ok.body.json(), { limit: 10, got: 3 })
  })
  assert.deepEqual(framing, ['chunked', 'length 3'])
})
