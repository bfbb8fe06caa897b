// The Content-Type table: right types and charsets, and mime-db loaded only once a file is typed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { contentType } from '../../src/static/content-type.ts'

test('types from mime-db, with charset=utf-8 for text and for the types mime-db marks UTF-8', () => {
  assert.equal(contentType('index.html'), 'text/html; charset=utf-8')
  assert.equal(contentType('DATA.JSON'), 'application/json; charset=utf-8')
  assert.equal(contentType('photo.png'), 'image/png')
  assert.equal(contentType('archive.unknown-ext'), 'application/octet-stream')
  assert.equal(contentType('Makefile'), 'application/octet-stream')
})

test('importing weft does not load the mime-db table; typing the first file does', () => {
  // A child process, so that this process's own imports do not count.
  const script = `
    import { createRequire } from 'node:module'
    const require = createRequire(import.meta.url)
    const loaded = () => Object.keys(require.cache).some((path) => /[\\\\/]mime-db[\\\\/]/.test(path))
    await import('weft')
    const { contentType } = await import('./src/static/content-type.ts')
    const before = loaded()
    contentType('a.css')
    console.log(JSON.stringify({ before, after: loaded() }))
  `
  const out = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../../', import.meta.url), encoding: 'utf8' })
  assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1)!), { before: false, after: true })
})
