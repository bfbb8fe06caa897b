// Ranges: 206 single, multipart/byteranges, 416, If-Range, invalid headers ignored.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, serve } from 'weft'
import { RawClient } from '../helpers/raw.ts'
import { call, fixture, parseByteranges, MTIME } from './helpers.ts'

const DATA = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz')
const BIG = Buffer.alloc(1024 * 1024)
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 31) & 0xff

function setup(t: { after(fn: () => void): void }, options: Parameters<App['static']>[2] = {}): App {
  const { dir, cleanup } = fixture({ 'a.txt': DATA, 'big.bin': BIG })
  t.after(cleanup)
  return new App().static('/', dir, options)
}

test('a single range answers 206 with Content-Range, from memory and from a stream', async (t) => {
  for (const cache of [undefined, false] as const) {
    const app = setup(t, cache === false ? { cache: false } : {})
    const cases: Array<[string, number, number]> = [
      ['bytes=0-9', 0, 9],
      ['bytes=10-', 10, 35],
      ['bytes=-5', 31, 35],
      ['bytes=30-1000', 30, 35],
      ['bytes=-1000', 0, 35],
      ['BYTES = 5-5', 5, 5],
    ]
    for (const [range, start, end] of cases) {
      const res = await call(app, '/a.txt', { range })
      assert.equal(res.status, 206, range)
      assert.equal(res.headers['content-range'], `bytes ${start}-${end}/36`, range)
      assert.equal(res.headers['content-length'], String(end - start + 1))
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8')
      assert.ok(res.headers.etag)
      assert.deepEqual(res.body, DATA.subarray(start, end + 1), range)
    }
    const big = await call(app, '/big.bin', { range: 'bytes=500000-600000' })
    assert.equal(big.status, 206)
    assert.equal(big.streamed, true, 'a 1 MiB file is streamed')
    assert.deepEqual(big.body, BIG.subarray(500000, 600001))
  }
})

test('several ranges answer multipart/byteranges, each part with its own headers', async (t) => {
  for (const cache of [undefined, false] as const) {
    const app = setup(t, cache === false ? { cache: false } : {})
    const res = await call(app, '/a.txt', { range: 'bytes=0-2, 10-12, -3' })
    assert.equal(res.status, 206)
    assert.equal(res.headers['content-length'], String(res.body.length))
    assert.equal(res.headers['content-range'], undefined)
    const parts = parseByteranges(res.headers['content-type']!, res.body)
    assert.deepEqual(
      parts.map((p) => [p.headers['content-range'], p.headers['content-type'], p.data.toString()]),
      [
        ['bytes 0-2/36', 'text/plain; charset=utf-8', '012'],
        ['bytes 10-12/36', 'text/plain; charset=utf-8', 'abc'],
        ['bytes 33-35/36', 'text/plain; charset=utf-8', 'xyz'],
      ],
    )
    const big = await call(app, '/big.bin', { range: 'bytes=0-99999,900000-' })
    const bigParts = parseByteranges(big.headers['content-type']!, big.body)
    assert.deepEqual(bigParts[0]!.data, BIG.subarray(0, 100000))
    assert.deepEqual(bigParts[1]!.data, BIG.subarray(900000))
    const head = await call(app, '/a.txt', { range: 'bytes=0-2,5-6' }, 'HEAD')
    assert.equal(head.status, 206)
    assert.equal(head.body.length, 0)
    assert.match(head.headers['content-type']!, /^multipart\/byteranges; boundary=/)
  }
})

test('overlapping ranges are merged; unsatisfiable parts are dropped', async (t) => {
  const app = setup(t)
  const merged = await call(app, '/a.txt', { range: 'bytes=0-5,3-8,20-21' })
  assert.deepEqual(
    parseByteranges(merged.headers['content-type']!, merged.body).map((p) => p.data.toString()),
    ['012345678', 'kl'],
  )
  const one = await call(app, '/a.txt', { range: 'bytes=0-5,2-3' })
  assert.equal(one.headers['content-range'], 'bytes 0-5/36', 'merged into one range: a plain 206')
  const dropped = await call(app, '/a.txt', { range: 'bytes=100-200,1-2' })
  assert.equal(dropped.headers['content-range'], 'bytes 1-2/36')
})

test('an unsatisfiable range answers 416 with Content-Range: bytes */size', async (t) => {
  const app = setup(t)
  for (const range of ['bytes=36-', 'bytes=100-200', 'bytes=-0', 'bytes=40-50,60-']) {
    const res = await call(app, '/a.txt', { range })
    assert.equal(res.status, 416, range)
    assert.equal(res.headers['content-range'], 'bytes */36')
  }
})

test('a malformed or foreign Range is ignored: 200 with the whole file', async (t) => {
  const app = setup(t)
  for (const range of ['bytes=5-2', 'bytes=abc', 'items=0-1', 'bytes=', 'bytes=1-2-3', 'bytes=--1', `bytes=${'0-0,'.repeat(100)}0-0`]) {
    const res = await call(app, '/a.txt', { range })
    assert.equal(res.status, 200, range)
    assert.deepEqual(res.body, DATA)
  }
})

test('If-Range: a matching strong ETag or exact date applies the range; anything else sends it all', async (t) => {
  const app = setup(t)
  const etag = (await call(app, '/a.txt')).headers.etag!
  assert.equal((await call(app, '/a.txt', { range: 'bytes=0-1', 'if-range': etag })).status, 206)
  assert.equal((await call(app, '/a.txt', { range: 'bytes=0-1', 'if-range': MTIME.toUTCString() })).status, 206)
  const stale = await call(app, '/a.txt', { range: 'bytes=0-1', 'if-range': '"stale"' })
  assert.equal(stale.status, 200)
  assert.deepEqual(stale.body, DATA)
  assert.equal((await call(app, '/a.txt', { range: 'bytes=0-1', 'if-range': new Date(MTIME.getTime() + 1000).toUTCString() })).status, 200)
  assert.equal((await call(app, '/a.txt', { range: 'bytes=0-1', 'if-range': `W/${etag}` })).status, 200)
  const weak = setup(t, { etag: 'weak' })
  const weakTag = (await call(weak, '/a.txt')).headers.etag!
  assert.equal((await call(weak, '/a.txt', { range: 'bytes=0-1', 'if-range': weakTag })).status, 200, 'weak tags never satisfy If-Range')
})

test('ranges over a raw socket: 206 and multipart bodies are exact on the wire', async (t) => {
  const app = setup(t)
  const server = await serve(app, { port: 0 })
  t.after(() => server.close())
  const client = await RawClient.open(server.port)
  t.after(() => client.destroy())
  client.write('GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=1000-1999\r\n\r\n')
  const single = await client.response({ timeout: 5000 })
  assert.equal(single.status, 206)
  assert.equal(single.chunked, false)
  assert.deepEqual(single.body, BIG.subarray(1000, 2000))
  client.write('GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9,-10\r\n\r\n')
  const multi = await client.response({ timeout: 5000 })
  assert.equal(multi.status, 206)
  const parts = parseByteranges(multi.header('content-type')!, multi.body)
  assert.deepEqual(parts[1]!.data, BIG.subarray(BIG.length - 10))
  client.write('GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=99-\r\n\r\n')
  const unsat = await client.response()
  assert.equal(unsat.status, 416)
  assert.equal(unsat.header('content-range'), 'bytes */36')
})
