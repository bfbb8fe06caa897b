// The in-memory cache: small files from memory, large ones streamed, validated by size and
// mtime, bounded in bytes and entries.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { App } from 'weft'
import { call, fixture, MTIME } from './helpers.ts'

const HOUR = 3_600_000

function rewrite(path: string, content: string, secondsLater: number): void {
  writeFileSync(path, content)
  const t = new Date(MTIME.getTime() + secondsLater * 1000)
  utimesSync(path, t, t)
}

test('small files are answered from memory, large ones streamed; cache: false streams all', async (t) => {
  const { dir, cleanup } = fixture({ 'small.txt': 'x'.repeat(100), 'large.bin': Buffer.alloc(300 * 1024) })
  t.after(cleanup)
  const app = new App().static('/', dir)
  assert.equal((await call(app, '/small.txt')).streamed, false)
  assert.equal((await call(app, '/small.txt')).streamed, false)
  assert.equal((await call(app, '/large.bin')).streamed, true)
  const small = new App().static('/', dir, { cache: { maxFileSize: 10 } })
  assert.equal((await call(small, '/small.txt')).streamed, true)
  const off = new App().static('/', dir, { cache: false })
  assert.equal((await call(off, '/small.txt')).streamed, true)
  assert.equal((await call(off, '/small.txt')).body.toString(), 'x'.repeat(100))
})

test('a changed file is picked up at revalidation (size or mtime), not served stale after it', async (t) => {
  const { dir, cleanup } = fixture({ 'a.txt': 'version 1' })
  t.after(cleanup)
  const path = join(dir, 'a.txt')
  const app = new App().static('/', dir, { cache: { revalidate: 0 } })
  const first = await call(app, '/a.txt')
  assert.equal(first.body.toString(), 'version 1')
  rewrite(path, 'version 2', 10) // same size, new mtime
  const second = await call(app, '/a.txt')
  assert.equal(second.body.toString(), 'version 2')
  assert.notEqual(second.headers.etag, first.headers.etag)
  rmSync(path)
  assert.equal((await call(app, '/a.txt')).status, 404, 'a deleted file is forgotten')
})

test('within the revalidation period the cached copy answers without touching the disk', async (t) => {
  const { dir, cleanup } = fixture({ 'a.txt': 'version 1' })
  t.after(cleanup)
  const app = new App().static('/', dir, { cache: { revalidate: HOUR } })
  assert.equal((await call(app, '/a.txt')).body.toString(), 'version 1')
  rewrite(join(dir, 'a.txt'), 'version 2', 10)
  assert.equal((await call(app, '/a.txt')).body.toString(), 'version 1')
})

test('the cache is bounded: past maxSize the least recently checked file is evicted', async (t) => {
  const { dir, cleanup } = fixture({ 'a.txt': 'a'.repeat(60), 'b.txt': 'b'.repeat(60) })
  t.after(cleanup)
  const app = new App().static('/', dir, { cache: { revalidate: HOUR, maxSize: 100 } })
  await call(app, '/a.txt')
  await call(app, '/b.txt') // 120 bytes > 100: a.txt goes
  rewrite(join(dir, 'a.txt'), 'A'.repeat(60), 10)
  rewrite(join(dir, 'b.txt'), 'B'.repeat(60), 10)
  assert.equal((await call(app, '/a.txt')).body.toString(), 'A'.repeat(60), 'a.txt was evicted, so it is read again')
  // Reading a.txt again evicted b.txt in turn: both are current now.
  assert.equal((await call(app, '/b.txt')).body.toString(), 'B'.repeat(60))
  const entries = new App().static('/', dir, { cache: { revalidate: HOUR, maxEntries: 1 } })
  await call(entries, '/a.txt')
  await call(entries, '/b.txt')
  rewrite(join(dir, 'a.txt'), 'z'.repeat(60), 20)
  assert.equal((await call(entries, '/a.txt')).body.toString(), 'z'.repeat(60))
})

test('concurrent first requests for one file share one lookup and all succeed', async (t) => {
  const { dir, cleanup } = fixture({ 'a.txt': 'shared' })
  t.after(cleanup)
  const app = new App().static('/', dir)
  const all = await Promise.all(Array.from({ length: 50 }, () => call(app, '/a.txt')))
  for (const res of all) assert.equal(res.body.toString(), 'shared')
})
