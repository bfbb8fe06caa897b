// Precompressed siblings (.br, .gz, .zst) chosen by Accept-Encoding with q-values.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as zlib from 'node:zlib'
import { App, file } from 'weft'
import { call, fixture } from './helpers.ts'

const ORIGINAL = Buffer.from('console.log("hello");\n'.repeat(200))
const HAS_ZSTD = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function'

function setup(t: { after(fn: () => void): void }, precompressed: Parameters<App['static']>[2] extends infer O ? (O extends { precompressed?: infer P } ? P : never) : never = true): { app: App; dir: string } {
  const files: Record<string, Buffer> = {
    'app.js': ORIGINAL,
    'app.js.br': zlib.brotliCompressSync(ORIGINAL),
    'app.js.gz': zlib.gzipSync(ORIGINAL),
    'only-gz.css': Buffer.from('body{}'),
    'only-gz.css.gz': zlib.gzipSync('body{}'),
    'plain.txt': Buffer.from('no siblings'),
  }
  if (HAS_ZSTD) files['app.js.zst'] = (zlib as unknown as { zstdCompressSync(b: Buffer): Buffer }).zstdCompressSync(ORIGINAL)
  const { dir, cleanup } = fixture(files)
  t.after(cleanup)
  return { app: new App().static('/', dir, { precompressed }), dir }
}

function decode(encoding: string | undefined, body: Buffer): Buffer {
  if (encoding === 'br') return zlib.brotliDecompressSync(body)
  if (encoding === 'gzip') return zlib.gunzipSync(body)
  if (encoding === undefined) return body
  if (encoding === 'zstd') return (zlib as unknown as { zstdDecompressSync(b: Buffer): Buffer }).zstdDecompressSync(body)
  throw new Error(`unexpected encoding ${encoding}`)
}

test('Accept-Encoding picks the sibling; Vary, type and validators follow', async (t) => {
  const { app } = setup(t)
  const cases: Array<[string | undefined, string | undefined]> = [
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.9', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    // zstd ranks above gzip where the running Node has it (and so the .zst sibling exists).
    ['*;q=0.5, br;q=0', HAS_ZSTD ? 'zstd' : 'gzip'],
    ['identity', undefined],
    ['deflate', undefined],
    ['gzip;q=0.5, identity;q=1', undefined],
    [undefined, undefined],
  ]
  const etags = new Set<string>()
  for (const [accept, encoding] of cases) {
    const res = await call(app, '/app.js', accept === undefined ? {} : { 'accept-encoding': accept })
    assert.equal(res.status, 200, accept)
    assert.equal(res.headers['content-encoding'], encoding, String(accept))
    assert.equal(res.headers.vary, 'Accept-Encoding')
    assert.equal(res.headers['content-type'], 'text/javascript; charset=utf-8')
    assert.equal(res.headers['content-length'], String(res.body.length))
    assert.deepEqual(decode(encoding, res.body), ORIGINAL)
    etags.add(`${encoding}:${res.headers.etag}`)
  }
  assert.equal(new Set([...etags].map((e) => e.split(':')[1])).size, HAS_ZSTD ? 4 : 3, 'each coding has its own ETag')
  const gz = await call(app, '/only-gz.css', { 'accept-encoding': 'br, gzip' })
  assert.equal(gz.headers['content-encoding'], 'gzip')
  const plain = await call(app, '/plain.txt', { 'accept-encoding': 'br, gzip' })
  assert.equal(plain.headers['content-encoding'], undefined)
  assert.equal(plain.headers.vary, 'Accept-Encoding')
})

test('conditionals and ranges apply to the chosen representation', async (t) => {
  const { app } = setup(t)
  const br = await call(app, '/app.js', { 'accept-encoding': 'br' })
  assert.equal((await call(app, '/app.js', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! })).status, 304)
  assert.equal((await call(app, '/app.js', { 'accept-encoding': 'gzip', 'if-none-match': br.headers.etag! })).status, 200)
  const part = await call(app, '/app.js', { 'accept-encoding': 'gzip', range: 'bytes=0-1' })
  assert.equal(part.status, 206)
  assert.equal(part.headers['content-encoding'], 'gzip')
  assert.deepEqual([...part.body], [0x1f, 0x8b], 'the gzip magic: ranges are of the compressed bytes')
  assert.equal((await call(app, '/app.js.gz')).headers['content-type'], 'application/gzip', 'the sibling is also a file of its own')
})

test('a preference list limits and orders the codings; zstd only where zlib has it', async (t) => {
  const { app } = setup(t, ['gzip'])
  assert.equal((await call(app, '/app.js', { 'accept-encoding': 'br, gzip' })).headers['content-encoding'], 'gzip')
  const { app: ordered } = setup(t, ['gzip', 'br'])
  assert.equal((await call(ordered, '/app.js', { 'accept-encoding': 'br, gzip' })).headers['content-encoding'], 'gzip', 'equal q: server order')
  const { app: all } = setup(t, true)
  const zstd = await call(all, '/app.js', { 'accept-encoding': 'zstd' })
  assert.equal(zstd.headers['content-encoding'], HAS_ZSTD ? 'zstd' : undefined)
  const { app: off } = setup(t, false)
  const res = await call(off, '/app.js', { 'accept-encoding': 'br, gzip' })
  assert.equal(res.headers['content-encoding'], undefined)
  assert.equal(res.headers.vary, undefined)
})

test('file() picks a precompressed sibling too', async (t) => {
  const { dir } = setup(t)
  const app = new App()
  app.get('/bundle', (req) => file(`${dir}/app.js`, { req, precompressed: true }))
  const res = await call(app, '/bundle', { 'accept-encoding': 'gzip' })
  assert.equal(res.headers['content-encoding'], 'gzip')
  assert.equal(res.headers.vary, 'Accept-Encoding')
  assert.deepEqual(zlib.gunzipSync(res.body), ORIGINAL)
  assert.equal((await call(app, '/bundle')).headers['content-encoding'], undefined)
})
