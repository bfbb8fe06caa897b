// Static files: content types, caching headers, validators, HEAD, the file() helper.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { App, file, serve, serveStatic } from 'weft'
import { call, fixture, MTIME } from './helpers.ts'

const FILES = {
  'hello.txt': 'hello world\n',
  'page.html': '<h1>hi</h1>',
  'app.js': 'console.log(1)',
  'data.json': '{"a":1}',
  'style.css': 'body{}',
  'pic.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  'font.woff2': Buffer.alloc(10),
  'noext': 'raw',
  'weird.unknownext': 'x',
  'empty.txt': '',
}

test('Content-Type comes from mime-types, with charset=utf-8 for text types', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const app = new App()
  app.static('/', dir)
  const expect: Record<string, string> = {
    '/hello.txt': 'text/plain; charset=utf-8',
    '/page.html': 'text/html; charset=utf-8',
    '/app.js': 'text/javascript; charset=utf-8',
    '/data.json': 'application/json; charset=utf-8',
    '/style.css': 'text/css; charset=utf-8',
    '/pic.png': 'image/png',
    '/font.woff2': 'font/woff2',
    '/noext': 'application/octet-stream',
    '/weird.unknownext': 'application/octet-stream',
  }
  for (const [path, type] of Object.entries(expect)) {
    const res = await call(app, path)
    assert.equal(res.status, 200, path)
    assert.equal(res.headers['content-type'], type, path)
  }
})

test('200 carries Content-Length, Accept-Ranges, ETag, Last-Modified and Cache-Control', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const app = new App()
  app.static('/', dir)
  const res = await call(app, '/hello.txt')
  assert.equal(res.body.toString(), 'hello world\n')
  assert.equal(res.headers['content-length'], '12')
  assert.equal(res.headers['accept-ranges'], 'bytes')
  assert.match(res.headers.etag!, /^"[0-9a-f]+-[0-9a-f]+"$/)
  assert.equal(res.headers['last-modified'], MTIME.toUTCString())
  assert.equal(res.headers['cache-control'], 'public, max-age=0')
  assert.equal(res.headers.vary, undefined, 'no Vary without precompressed siblings in play')
  const empty = await call(app, '/empty.txt')
  assert.equal(empty.status, 200)
  assert.equal(empty.headers['content-length'], '0')
  assert.equal(empty.body.length, 0)
})

test('maxAge (number or string), immutable and cacheControl build Cache-Control', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const cases: Array<[Parameters<typeof serveStatic>[1], string | undefined]> = [
    [{ maxAge: 60 }, 'public, max-age=60'],
    [{ maxAge: '1d' }, 'public, max-age=86400'],
    [{ maxAge: '2h', immutable: true }, 'public, max-age=7200, immutable'],
    [{ maxAge: '1y', immutable: true }, 'public, max-age=31536000, immutable'],
    [{ cacheControl: 'private, no-store' }, 'private, no-store'],
    [{ cacheControl: false }, undefined],
  ]
  for (const [options, expected] of cases) {
    const app = new App()
    app.static('/', dir, options)
    assert.equal((await call(app, '/hello.txt')).headers['cache-control'], expected, JSON.stringify(options))
  }
  assert.throws(() => new App().static('/', dir, { maxAge: 'soon' }), TypeError)
  assert.throws(() => new App().static('/', dir, { maxAge: -1 }), RangeError)
})

test('etag: strong by default, weak on request, or none; lastModified can be turned off', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const weak = new App().static('/', dir, { etag: 'weak' })
  assert.match((await call(weak, '/hello.txt')).headers.etag!, /^W\/"[0-9a-f-]+"$/)
  const none = new App().static('/', dir, { etag: false, lastModified: false })
  const res = await call(none, '/hello.txt')
  assert.equal(res.headers.etag, undefined)
  assert.equal(res.headers['last-modified'], undefined)
  assert.equal(res.status, 200)
})

test('the ETag changes when the file changes (size or mtime)', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const app = new App().static('/', dir, { cache: false })
  const before = (await call(app, '/hello.txt')).headers.etag
  const later = new Date(MTIME.getTime() + 5000)
  utimesSync(join(dir, 'hello.txt'), later, later)
  const touched = await call(app, '/hello.txt')
  assert.notEqual(touched.headers.etag, before)
  assert.equal(touched.headers['last-modified'], later.toUTCString())
  writeFileSync(join(dir, 'hello.txt'), 'different size')
  utimesSync(join(dir, 'hello.txt'), later, later)
  assert.notEqual((await call(app, '/hello.txt')).headers.etag, touched.headers.etag)
})

test('HEAD answers with the GET headers and no body, and opens no stream', async (t) => {
  const { dir, cleanup } = fixture({ 'big.bin': Buffer.alloc(1024 * 1024, 7), 'small.txt': 'abc' })
  t.after(cleanup)
  const app = new App().static('/', dir)
  for (const path of ['/big.bin', '/small.txt']) {
    const get = await call(app, path)
    const head = await call(app, path, {}, 'HEAD')
    assert.equal(head.status, 200)
    assert.equal(head.body.length, 0)
    assert.equal(head.streamed, false, 'a HEAD body is null, not a stream to throw away')
    for (const name of ['content-type', 'content-length', 'etag', 'last-modified', 'cache-control', 'accept-ranges']) {
      assert.equal(head.headers[name], get.headers[name], `${path} ${name}`)
    }
  }
  // And on the wire: the same over a socket, HEAD with Content-Length and no body.
  const server = await serve(app, { port: 0 })
  try {
    const res = await fetch(`${server.url}/big.bin`, { method: 'HEAD' })
    assert.equal(res.headers.get('content-length'), String(1024 * 1024))
    assert.equal((await res.arrayBuffer()).byteLength, 0)
  } finally {
    await server.close()
  }
})

test('other methods fall through: 404 from app.static, next() from the middleware', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const app = new App().static('/', dir)
  assert.equal((await call(app, '/hello.txt', {}, 'POST')).status, 404)
  const mw = new App()
  mw.use(serveStatic(dir))
  mw.post('/hello.txt', () => 'posted')
  assert.equal((await call(mw, '/hello.txt', {}, 'POST')).body.toString(), 'posted')
  assert.equal((await call(mw, '/hello.txt')).body.toString(), 'hello world\n')
})

test('file(): a response helper with the same headers, conditionals and ranges', async (t) => {
  const { dir, cleanup } = fixture({ 'report.pdf': Buffer.from('%PDF-1.4 fake'), 'naïve "q".txt': 'x', 'docs/a.md': '# A', '.secret': 's' })
  t.after(cleanup)
  const app = new App({ logErrors: false })
  app.get('/report', (req) => file(join(dir, 'report.pdf'), { req, maxAge: 60 }))
  app.get('/download', (req) => file(join(dir, 'naïve "q".txt'), { req, download: true }))
  app.get('/missing', (req) => file(join(dir, 'nope.pdf'), { req }))
  app.get('/docs/:name', (req) => file(req.params.name, { req, root: join(dir, 'docs') }))
  app.get('/any/*', (req) => file(req.params['*']!, { req, root: dir }))
  const res = await call(app, '/report')
  assert.equal(res.status, 200)
  assert.equal(res.headers['content-type'], 'application/pdf')
  assert.equal(res.headers['cache-control'], 'public, max-age=60')
  assert.equal(res.body.toString(), '%PDF-1.4 fake')
  assert.equal((await call(app, '/report', { 'if-none-match': res.headers.etag! })).status, 304)
  const part = await call(app, '/report', { range: 'bytes=0-3' })
  assert.equal(part.status, 206)
  assert.equal(part.body.toString(), '%PDF')
  const dl = await call(app, '/download')
  assert.equal(dl.headers['content-disposition'], `attachment; filename="na_ve _q_.txt"; filename*=UTF-8''na%C3%AFve%20%22q%22.txt`)
  assert.equal((await call(app, '/missing')).status, 404)
  assert.equal((await call(app, '/docs/a.md')).body.toString(), '# A')
  // Names from the client cannot climb out of root, nor reach dotfiles.
  assert.equal((await call(app, '/docs/..%2f.secret')).status, 403)
  assert.equal((await call(app, '/any/..%2F..%2Fetc%2Fpasswd')).status, 403)
  assert.equal((await call(app, '/any/.secret')).status, 403)
  assert.equal((await call(app, '/any/%2Fetc%2Fpasswd')).status, 403, 'an absolute path is refused')
  assert.equal((await call(app, '/any/docs')).status, 404, 'a directory is not a file')
})
