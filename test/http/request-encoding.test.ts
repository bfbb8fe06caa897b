// Request bodies sent with Content-Encoding: decoded by the body readers, under the body limit
// applied to the decoded size; unknown codings 415, corrupt data 400, bombs 413.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { App, HttpError } from 'weft'
import { decodeBody } from '../../src/http/decode.ts'
import { withServer } from '../helpers/server.ts'
import { RawClient } from '../helpers/raw.ts'
import { peer } from '../helpers/peers.ts'

const HAS_ZSTD = typeof (zlib as unknown as { zstdCompressSync?: unknown }).zstdCompressSync === 'function'
const TEXT = 'héllo wörld, '.repeat(500)

const encoders: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gzipSync(b),
  'x-gzip': (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  br: (b) => zlib.brotliCompressSync(b),
}
if (HAS_ZSTD) encoders.zstd = (b) => (zlib as unknown as { zstdCompressSync(b: Buffer): Buffer }).zstdCompressSync(b)

function app(limit = 64 * 1024): App {
  const a = new App({ logErrors: false, bodyLimit: limit })
  a.post('/text', async (req) => req.text())
  a.post('/json', async (req) => ({ got: await req.json() }))
  a.post('/chunks', async (req) => {
    let size = 0
    for await (const chunk of req.chunks()) size += chunk.byteLength
    return { size }
  })
  a.post('/form', async (req) => Object.fromEntries([...(await req.formData()).entries()].map(([k, v]) => [k, String(v)])))
  return a
}

test('each supported Content-Encoding is decoded for every reader', async (t) => {
  const a = app()
  for (const [coding, encode] of Object.entries(encoders)) {
    await t.test(coding, async () => {
      let res = await a.request('/text', { method: 'POST', headers: { 'content-encoding': coding }, body: encode(Buffer.from(TEXT)) })
      assert.equal(res.status, 200)
      assert.equal(await res.text(), TEXT)
      res = await a.request('/json', { method: 'POST', headers: { 'content-encoding': coding.toUpperCase() }, body: encode(Buffer.from('{"a":[1,2]}')) })
      assert.deepEqual(await res.json(), { got: { a: [1, 2] } })
      res = await a.request('/chunks', { method: 'POST', headers: { 'content-encoding': coding }, body: encode(Buffer.alloc(40_000, 7)) })
      assert.deepEqual(await res.json(), { size: 40_000 })
    })
  }
  await t.test('identity and no header', async () => {
    const res = await a.request('/text', { method: 'POST', headers: { 'content-encoding': 'identity' }, body: 'plain' })
    assert.equal(await res.text(), 'plain')
  })
  await t.test('a compressed multipart body', async () => {
    const body = '--b\r\ncontent-disposition: form-data; name="x"\r\n\r\nvalue\r\n--b--\r\n'
    const res = await a.request('/form', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b', 'content-encoding': 'gzip' }, body: zlib.gzipSync(body) })
    assert.deepEqual(await res.json(), { x: 'value' })
  })
})

test('unknown, stacked and (on this Node) unsupported codings answer 415 with Accept-Encoding', async () => {
  const a = app()
  const refused = ['compress', 'gzip, br', 'foo\tbar', ...(HAS_ZSTD ? [] : ['zstd'])]
  for (const coding of refused) {
    const res = await a.request('/text', { method: 'POST', headers: { 'content-encoding': coding }, body: 'x' })
    assert.equal(res.status, 415, coding)
    assert.match(await res.text(), /Unsupported Content-Encoding/)
    assert.match(res.headers.get('accept-encoding') ?? '', /^br, (zstd, )?gzip, deflate$/)
  }
})

test('corrupt or truncated compressed bodies answer 400', async () => {
  const a = app()
  const full = zlib.gzipSync(Buffer.from(TEXT))
  const cases: Array<[string, Buffer]> = [
    ['gzip', Buffer.from('definitely not gzip')],
    ['gzip', full.subarray(0, full.length - 10)],
    ['deflate', zlib.deflateSync(TEXT).subarray(0, 20)],
    ['br', Buffer.from('not brotli at all, really')],
    ['br', zlib.brotliCompressSync(TEXT).subarray(0, 30)],
    ['gzip', Buffer.alloc(0)],
  ]
  for (const [coding, body] of cases) {
    const res = await a.request('/text', { method: 'POST', headers: { 'content-encoding': coding }, body })
    assert.equal(res.status, 400, `${coding} ${body.length} bytes`)
    assert.match(await res.text(), new RegExp(`^Invalid ${coding} request body`))
  }
})

test('the limit applies to the decoded size: decompression bombs answer 413', async (t) => {
  const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024)) // 64 MiB of zeros, ~64 KiB on the wire
  const brBomb = zlib.brotliCompressSync(Buffer.alloc(64 * 1024 * 1024))
  await t.test('through app.request', async () => {
    const a = app(1024 * 1024)
    for (const [coding, body] of [['gzip', bomb], ['br', brBomb]] as const) {
      const res = await a.request('/text', { method: 'POST', headers: { 'content-encoding': coding }, body })
      assert.equal(res.status, 413, coding)
    }
    // A body that fits compressed and decoded passes; the limit is on the decoded bytes.
    const exact = zlib.gzipSync(Buffer.alloc(1024 * 1024, 1))
    assert.equal((await a.request('/chunks', { method: 'POST', headers: { 'content-encoding': 'gzip' }, body: exact })).status, 200)
    const over = zlib.gzipSync(Buffer.alloc(1024 * 1024 + 1, 1))
    assert.equal((await a.request('/chunks', { method: 'POST', headers: { 'content-encoding': 'gzip' }, body: over })).status, 413)
  })
  await t.test('decoding stops near the limit instead of inflating everything', async () => {
    let pulled = 0
    let returned = false
    const pieces: Buffer[] = []
    for (let i = 0; i < bomb.length; i += 1024) pieces.push(bomb.subarray(i, i + 1024))
    const source: AsyncIterator<Uint8Array> = {
      next: async () => {
        const value = pieces.shift()
        if (value === undefined) return { done: true, value: undefined }
        pulled += value.length
        return { done: false, value }
      },
      return: async () => {
        returned = true
        return { done: true, value: undefined }
      },
    }
    let decoded = 0
    await assert.rejects(
      (async () => {
        for await (const piece of decodeBody(source, 'gzip', 1024 * 1024)) decoded += piece.byteLength
      })(),
      (error: unknown) => error instanceof HttpError && error.status === 413,
    )
    assert.ok(decoded <= 1024 * 1024, `decoded ${decoded}`)
    // 1 MiB of zeros is ~1 KiB of gzip; reading ahead is bounded by the decompressor's input
    // buffer (16 KiB), not by the bomb's size.
    assert.ok(pulled <= 32 * 1024, `pulled ${pulled} of ${bomb.length} compressed bytes`)
    assert.ok(returned, 'the raw body was released')
  })
  await t.test('over a socket, chunked: 413 and the connection closes', async () => {
    await withServer(app(1024 * 1024), async (server) => {
      const c = await RawClient.open(server.port)
      try {
        c.write('POST /text HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n')
        for (let i = 0; i < bomb.length; i += 16 * 1024) {
          const piece = bomb.subarray(i, i + 16 * 1024)
          c.write(`${piece.length.toString(16)}\r\n`)
          c.write(piece)
          c.write('\r\n')
        }
        const r = await c.response({ timeout: 5000 })
        assert.equal(r.status, 413)
        assert.equal(r.header('connection'), 'close')
        await c.closed(5000)
      } finally {
        c.destroy()
      }
    })
  })
})

const curl = peer('curl')

test('curl uploads a gzip-encoded file', curl, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-enc-'))
  try {
    const file = join(dir, 'body.gz')
    writeFileSync(file, zlib.gzipSync(TEXT))
    await withServer(app(), async (server) => {
      const out = await new Promise<string>((resolve, reject) => {
        execFile('curl', ['--silent', '--show-error', '--max-time', '10', '-H', 'content-encoding: gzip', '--data-binary', `@${file}`, `${server.url}/text`], (error, stdout) =>
          error ? reject(error) : resolve(stdout),
        )
      })
      assert.equal(out, TEXT)
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
