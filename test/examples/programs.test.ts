import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { connect, type ClientHttp2Session } from 'node:http2'
import { request as httpsRequest } from 'node:https'
import { fileURLToPath } from 'node:url'
import { get, startExample } from './spawn.ts'

/** One GET on an HTTP/2 session: status and body text. */
function h2get(session: ClientHttp2Session, path: string): Promise<{ status: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no HTTP/2 answer within 10 s')), 10_000)
    const stream = session.request({ ':path': path })
    let status: unknown
    let text = ''
    stream.on('response', (h) => (status = h[':status']))
    stream.on('data', (c: Buffer) => (text += c))
    stream.on('end', () => {
      clearTimeout(timer)
      resolve({ status, text })
    })
    stream.on('error', reject)
  })
}

// Each example is a program: it reads PORT, prints `listening on URL` once, and serves there.

test('examples/hello_server.ts answers GET / with Hello World!', { timeout: 60_000 }, async () => {
  const example = await startExample('hello_server')
  try {
    assert.ok(example.port > 0)
    const res = await get(`${example.url}/`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    assert.equal(await res.text(), 'Hello World!')
    assert.equal(example.stdout().match(/listening on /g)?.length, 1)
  } finally {
    await example.stop()
  }
})

test('examples/demo.ts answers GET /hello and its other routes; SIGTERM closes it', { timeout: 60_000 }, async () => {
  const example = await startExample('demo')
  try {
    const hello = await get(`${example.url}/hello`)
    assert.equal(hello.status, 200)
    assert.equal(await hello.text(), 'Hello World!')
    const user = await get(`${example.url}/users/42`)
    assert.deepEqual(await user.json(), { id: '42' })
    const echo = await get(`${example.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' })
    assert.equal(echo.status, 201)
    assert.deepEqual(await echo.json(), { a: [1, 2] })
    const teapot = await get(`${example.url}/teapot`)
    assert.equal(teapot.status, 418)
    await teapot.arrayBuffer()
    // The static site: index.html at /, linking to everything, compressed for clients that ask.
    const home = await get(`${example.url}/`, { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(home.status, 200)
    assert.match(home.headers.get('content-type') ?? '', /^text\/html/)
    assert.equal(home.headers.get('content-encoding'), 'gzip')
    const page = await home.text()
    for (const link of ['/hello', '/users/42', '/stream', '/cookies', '/streaming', '/streaming/data.csv', '/about.html', '/style.css']) {
      assert.ok(page.includes(`href="${link}"`), `index links to ${link}`)
    }
    const css = await get(`${example.url}/style.css`)
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/)
    assert.ok(css.headers.get('etag') !== null)
    await css.arrayBuffer()
    assert.equal((await get(`${example.url}/about.html`)).status, 200)
    const missing = await get(`${example.url}/nope.html`)
    assert.equal(missing.status, 404)
    await missing.arrayBuffer()
    // The streaming example, mounted at /streaming with its links rewritten to match.
    const streaming = await get(`${example.url}/streaming`)
    const streamingPage = await streaming.text()
    assert.match(streamingPage, /src="\/streaming\/media\/clip\.webm"/)
    assert.match(streamingPage, /new EventSource\('\/streaming\/clock'\)/)
    const video = await get(`${example.url}/streaming/media/clip.webm`, { headers: { range: 'bytes=0-99' } })
    assert.equal(video.status, 206)
    assert.equal((await video.arrayBuffer()).byteLength, 100)
    const csv = await get(`${example.url}/streaming/data.csv?rows=3`)
    assert.equal((await csv.text()).split('\n').length, 5) // header, 3 rows, final newline
    const clock = await get(`${example.url}/streaming/clock`)
    assert.match(clock.headers.get('content-type') ?? '', /^text\/event-stream/)
    const reader = clock.body!.getReader()
    let events = ''
    while (!events.includes('event: tick')) {
      const { value, done } = await reader.read()
      if (done) break
      events += new TextDecoder().decode(value)
    }
    await reader.cancel()
    assert.match(events, /event: tick\nid: 1\ndata: \{"n":1,/)
    assert.equal(example.stdout().match(/listening on /g)?.length, 1)
  } finally {
    const exit = await example.stop()
    assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${example.stderr()}`)
  }
})

test('examples/demo.ts speaks cleartext HTTP/2 with prior knowledge on its first port, beside HTTP/1.1', { timeout: 60_000 }, async () => {
  const example = await startExample('demo')
  const session = connect(example.url)
  session.on('error', () => {})
  try {
    const body = await h2get(session, '/users/7')
    assert.deepEqual(body, { status: 200, text: '{"id":"7"}' })
    const res = await get(`${example.url}/users/7`)
    assert.equal(await res.text(), '{"id":"7"}', 'HTTP/1.1 on the same port')
  } finally {
    session.close()
    await example.stop()
  }
})

test('examples/demo.ts serves HTTPS on its second port: HTTP/2 and HTTP/1.1 through ALPN, with its development certificate', { timeout: 60_000 }, async () => {
  const example = await startExample('demo')
  try {
    const line = /HTTPS \(HTTP\/2 and HTTP\/1\.1, development certificate\) on (https:\/\/127\.0\.0\.1:\d+)/
    for (let i = 0; i < 100 && !line.test(example.stdout()); i++) await new Promise((r) => setTimeout(r, 50))
    const url = line.exec(example.stdout())?.[1]
    assert.ok(url !== undefined, `the HTTPS line was printed: ${example.stdout()}`)
    const port = Number(new URL(url).port)
    assert.notEqual(port, example.port)
    const ca = readFileSync(fileURLToPath(new URL('../../examples/certs/dev.pem', import.meta.url)))
    // HTTP/2, verified against the shipped certificate.
    const session = connect(`https://localhost:${port}`, { ca })
    session.on('error', () => {})
    try {
      const body = await h2get(session, '/users/7')
      assert.deepEqual(body, { status: 200, text: '{"id":"7"}' })
    } finally {
      session.close()
    }
    // HTTP/1.1 on the same port.
    const h1 = await new Promise<{ status: number; alpn: unknown; text: string }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, servername: 'localhost', path: '/hello', ca, agent: false, timeout: 10_000 }, (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, alpn: (res.socket as { alpnProtocol?: unknown }).alpnProtocol, text }))
      })
      req.on('timeout', () => req.destroy(new Error('no HTTPS answer within 10 s')))
      req.on('error', reject)
      req.end()
    })
    assert.equal(h1.status, 200)
    assert.equal(h1.text, 'Hello World!')
  } finally {
    const exit = await example.stop()
    assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${example.stderr()}`)
  }
})
