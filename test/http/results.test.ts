// Handler return values and the response helpers, over a real socket.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { App, Response, text, json, html, redirect, status } from 'weft'
import { withServer } from '../helpers/server.ts'
import { RawClient, get } from '../helpers/raw.ts'

function app(): App {
  const a = new App({ logErrors: false })
  a.get('/string', () => 'hello')
  a.get('/buffer', () => Buffer.from([0, 1, 2, 255]))
  a.get('/uint8', () => new Uint8Array([7, 8, 9]))
  a.get('/object', () => ({ a: 1, nested: { b: [true, null] } }))
  a.get('/array', () => [1, 'two', { three: 3 }])
  a.get('/weft', () => new Response('made', { status: 201, headers: { 'x-kind': 'weft' } }))
  a.get('/web', () => {
    const headers = new Headers({ 'content-type': 'text/x-web', 'x-kind': 'web' })
    headers.append('set-cookie', 'a=1')
    headers.append('set-cookie', 'b=2')
    return new globalThis.Response('from the web', { status: 202, headers })
  })
  a.get('/web-stream-response', () => new globalThis.Response(ReadableStream.from([new TextEncoder().encode('x'), new TextEncoder().encode('y')])))
  a.get('/null', () => null)
  a.get('/undefined', () => undefined)
  a.get('/readable', () => Readable.from([Buffer.from('node '), Buffer.from('readable')]))
  a.get('/web-stream', () =>
    new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('web '))
        c.enqueue(new TextEncoder().encode('stream'))
        c.close()
      },
    }),
  )
  a.get('/generator', async function* () {
    yield 'one,'
    yield Buffer.from('two,')
    yield ''
    yield new Uint8Array([0x74, 0x68, 0x72, 0x65, 0x65])
  })
  a.get('/async-string', async () => 'later')
  a.get('/text', () => text('plain', { status: 203 }))
  a.get('/json', () => json({ ok: true }, { status: 201, headers: { 'x-extra': '1' } }))
  a.get('/json-undefined', () => json(undefined))
  a.get('/html', () => html('<p>hi</p>'))
  a.get('/redirect', () => redirect('/elsewhere'))
  a.get('/redirect301', () => redirect('https://example.com/', 301))
  a.get('/status', () => status(418, 'teapot'))
  a.get('/status-empty', () => status(202))
  a.get('/typed', () => new Response('{"x":1}', { headers: { 'content-type': 'application/vnd.x+json' } }))
  return a
}

test('return values over a real socket', async (t) => {
  await withServer(app(), async (server) => {
    const port = server.port
    await t.test('string → 200 text/plain with exact length', async () => {
      const r = await get(port, '/string')
      assert.equal(r.status, 200)
      assert.equal(r.header('content-type'), 'text/plain; charset=utf-8')
      assert.equal(r.header('content-length'), '5')
      assert.equal(r.body.toString(), 'hello')
    })
    await t.test('Buffer and Uint8Array → octet-stream, bytes intact', async () => {
      const r = await get(port, '/buffer')
      assert.equal(r.header('content-type'), 'application/octet-stream')
      assert.deepEqual([...r.body], [0, 1, 2, 255])
      const u = await get(port, '/uint8')
      assert.deepEqual([...u.body], [7, 8, 9])
      assert.equal(u.header('content-length'), '3')
    })
    await t.test('object and array → JSON', async () => {
      const r = await get(port, '/object')
      assert.equal(r.header('content-type'), 'application/json; charset=utf-8')
      assert.deepEqual(JSON.parse(r.body.toString()), { a: 1, nested: { b: [true, null] } })
      const a = await get(port, '/array')
      assert.deepEqual(JSON.parse(a.body.toString()), [1, 'two', { three: 3 }])
    })
    await t.test('weft Response keeps status and headers', async () => {
      const r = await get(port, '/weft')
      assert.equal(r.status, 201)
      assert.equal(r.header('x-kind'), 'weft')
      assert.equal(r.body.toString(), 'made')
    })
    await t.test('web Response keeps status, headers and every Set-Cookie', async () => {
      const r = await get(port, '/web')
      assert.equal(r.status, 202)
      assert.equal(r.header('content-type'), 'text/x-web')
      assert.equal(r.header('x-kind'), 'web')
      assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2'])
      assert.equal(r.body.toString(), 'from the web')
      const s = await get(port, '/web-stream-response')
      assert.equal(s.body.toString(), 'xy')
    })
    await t.test('null → 204 without a body', async () => {
      const r = await get(port, '/null')
      assert.equal(r.status, 204)
      assert.equal(r.header('content-length'), undefined)
      assert.equal(r.header('transfer-encoding'), undefined)
    })
    await t.test('undefined → 404', async () => {
      const r = await get(port, '/undefined')
      assert.equal(r.status, 404)
    })
    for (const [path, body] of [
      ['/readable', 'node readable'],
      ['/web-stream', 'web stream'],
      ['/generator', 'one,two,three'],
    ] as const) {
      await t.test(`${path} is streamed with chunked transfer encoding`, async () => {
        const r = await get(port, path)
        assert.equal(r.status, 200)
        assert.equal(r.chunked, true)
        assert.equal(r.header('transfer-encoding'), 'chunked')
        assert.equal(r.header('content-length'), undefined)
        assert.equal(r.body.toString(), body)
      })
    }
    await t.test('an async handler resolving to a string', async () => {
      assert.equal((await get(port, '/async-string')).body.toString(), 'later')
    })
    await t.test('helpers: text, json, html, redirect, status', async () => {
      const t1 = await get(port, '/text')
      assert.equal(t1.status, 203)
      assert.equal(t1.header('content-type'), 'text/plain; charset=utf-8')
      const j = await get(port, '/json')
      assert.equal(j.status, 201)
      assert.equal(j.header('x-extra'), '1')
      assert.equal(j.header('content-type'), 'application/json; charset=utf-8')
      assert.deepEqual(JSON.parse(j.body.toString()), { ok: true })
      assert.equal((await get(port, '/json-undefined')).body.toString(), 'null')
      const h = await get(port, '/html')
      assert.equal(h.header('content-type'), 'text/html; charset=utf-8')
      assert.equal(h.body.toString(), '<p>hi</p>')
      const r = await get(port, '/redirect')
      assert.equal(r.status, 302)
      assert.equal(r.header('location'), '/elsewhere')
      assert.equal(r.header('content-length'), '0')
      const r301 = await get(port, '/redirect301')
      assert.equal(r301.status, 301)
      assert.equal(r301.header('location'), 'https://example.com/')
      const s = await get(port, '/status')
      assert.equal(s.status, 418)
      assert.equal(s.body.toString(), 'teapot')
      const e = await get(port, '/status-empty')
      assert.equal(e.status, 202)
      assert.equal(e.body.length, 0)
      const typed = await get(port, '/typed')
      assert.equal(typed.header('content-type'), 'application/vnd.x+json')
    })
    await t.test('several return kinds in a row on one keep-alive connection', async () => {
      const c = await RawClient.open(port)
      try {
        for (const path of ['/string', '/generator', '/null', '/readable', '/object', '/web-stream']) {
          c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)
          const r = await c.response()
          assert.ok(r.status === 200 || r.status === 204, `${path}: ${r.status}`)
        }
        assert.equal(c.ended, false)
      } finally {
        c.destroy()
      }
    })
  })
})
