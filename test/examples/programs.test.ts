import { test } from 'node:test'
import assert from 'node:assert/strict'
import { get, startExample } from './spawn.ts'

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
