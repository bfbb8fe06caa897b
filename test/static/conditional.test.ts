// Conditional requests: If-None-Match / If-Modified-Since → 304, If-Match / If-Unmodified-Since → 412.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App } from 'weft'
import { call, fixture, MTIME } from './helpers.ts'

function setup(t: { after(fn: () => void): void }, options: Parameters<App['static']>[2] = {}): App {
  const { dir, cleanup } = fixture({ 'a.txt': 'hello' })
  t.after(cleanup)
  return new App().static('/', dir, { maxAge: 60, ...options })
}

const EARLIER = new Date(MTIME.getTime() - 60_000).toUTCString()
const LATER = new Date(MTIME.getTime() + 60_000).toUTCString()

test('If-None-Match with the current ETag answers 304 with validators and no body', async (t) => {
  const app = setup(t)
  const etag = (await call(app, '/a.txt')).headers.etag!
  for (const inm of [etag, `"nope", ${etag}`, `W/${etag}`, '*']) {
    const res = await call(app, '/a.txt', { 'if-none-match': inm })
    assert.equal(res.status, 304, inm)
    assert.equal(res.body.length, 0)
    assert.equal(res.headers.etag, etag)
    assert.equal(res.headers['cache-control'], 'public, max-age=60')
    assert.equal(res.headers['last-modified'], MTIME.toUTCString())
    assert.equal(res.headers['content-length'], undefined)
  }
  assert.equal((await call(app, '/a.txt', { 'if-none-match': '"other"' })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-none-match': 'garbage' })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-none-match': etag }, 'HEAD')).status, 304)
})

test('If-Modified-Since answers 304 when not modified since, 200 when modified; ignored with If-None-Match', async (t) => {
  const app = setup(t)
  const etag = (await call(app, '/a.txt')).headers.etag!
  assert.equal((await call(app, '/a.txt', { 'if-modified-since': MTIME.toUTCString() })).status, 304)
  assert.equal((await call(app, '/a.txt', { 'if-modified-since': LATER })).status, 304)
  assert.equal((await call(app, '/a.txt', { 'if-modified-since': EARLIER })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-modified-since': 'not a date' })).status, 200)
  // If-None-Match takes precedence: a stale tag means 200 whatever the date says.
  assert.equal((await call(app, '/a.txt', { 'if-none-match': '"stale"', 'if-modified-since': LATER })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-none-match': etag, 'if-modified-since': EARLIER })).status, 304)
})

test('If-Match must match strongly, else 412', async (t) => {
  const app = setup(t)
  const etag = (await call(app, '/a.txt')).headers.etag!
  assert.equal((await call(app, '/a.txt', { 'if-match': etag })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-match': `"x", ${etag}` })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-match': '*' })).status, 200)
  const failed = await call(app, '/a.txt', { 'if-match': '"x"' })
  assert.equal(failed.status, 412)
  assert.equal(failed.body.toString(), 'Precondition Failed')
  assert.equal((await call(app, '/a.txt', { 'if-match': `W/${etag}` })).status, 412, 'weak tags never match strongly')
  const weak = setup(t, { etag: 'weak' })
  const weakTag = (await call(weak, '/a.txt')).headers.etag!
  assert.equal((await call(weak, '/a.txt', { 'if-match': weakTag })).status, 412)
  assert.equal((await call(weak, '/a.txt', { 'if-none-match': weakTag })).status, 304, 'If-None-Match compares weakly')
})

test('If-Unmodified-Since: 412 when modified after the date; ignored when If-Match is present', async (t) => {
  const app = setup(t)
  const etag = (await call(app, '/a.txt')).headers.etag!
  assert.equal((await call(app, '/a.txt', { 'if-unmodified-since': MTIME.toUTCString() })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-unmodified-since': LATER })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-unmodified-since': EARLIER })).status, 412)
  assert.equal((await call(app, '/a.txt', { 'if-unmodified-since': 'bogus' })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-match': etag, 'if-unmodified-since': EARLIER })).status, 200)
})

test('with etag and lastModified off there is nothing to validate against', async (t) => {
  const app = setup(t, { etag: false, lastModified: false })
  assert.equal((await call(app, '/a.txt', { 'if-modified-since': LATER })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-none-match': '"x"' })).status, 200)
  assert.equal((await call(app, '/a.txt', { 'if-match': '"x"' })).status, 412)
})
