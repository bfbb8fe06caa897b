// Hostile paths never escape the root: each is refused (403) or not found (404), through
// app.handle with the path exactly as sent, through app.request(), and over a raw socket.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App, serve } from 'weft'
import { RawClient } from '../helpers/raw.ts'
import { call } from './helpers.ts'

const SECRET = 'TOP SECRET outside the root'

/** parent/{secret.txt, public/{inside.txt, sub/x.txt, link-out, dir-out, link-in}} */
function setup(t: { after(fn: () => void): void }): { root: string; parent: string } {
  const parent = mkdtempSync(join(tmpdir(), 'weft-hostile-'))
  t.after(() => rmSync(parent, { recursive: true, force: true }))
  writeFileSync(join(parent, 'secret.txt'), SECRET)
  const root = join(parent, 'public')
  mkdirSync(join(root, 'sub'), { recursive: true })
  writeFileSync(join(root, 'inside.txt'), 'inside')
  writeFileSync(join(root, 'sub', 'x.txt'), 'x')
  symlinkSync(join(parent, 'secret.txt'), join(root, 'link-out'))
  symlinkSync(parent, join(root, 'dir-out'))
  symlinkSync(join(root, 'inside.txt'), join(root, 'link-in'))
  return { root, parent }
}

/** [path as sent, expected status] */
const HOSTILE: Array<[string, 403 | 404]> = [
  ['/../secret.txt', 403],
  ['/sub/../../secret.txt', 403],
  ['/%2e%2e/secret.txt', 403],
  ['/%2E%2E/secret.txt', 403],
  ['/.%2e/secret.txt', 403],
  ['/%2e%2e%2fsecret.txt', 403],
  ['/..%2fsecret.txt', 403],
  ['/sub%2f..%2f..%2fsecret.txt', 403],
  ['/..%5csecret.txt', 403],
  ['/..%5c..%5csecret.txt', 403],
  ['/%5c..%5csecret.txt', 403],
  ['/inside.txt%00', 403],
  ['/inside.txt%00.html', 403],
  ['/%00/../secret.txt', 403],
  ['/%c0%ae%c0%ae/secret.txt', 403],
  ['/%c0%ae%c0%ae%c0%afsecret.txt', 403],
  ['/%e0%80%ae%e0%80%ae/secret.txt', 403],
  ['/%c1%9c..%c1%9csecret.txt', 403],
  ['/%ff', 403],
  ['/%2', 403],
  ['/%252e%252e/secret.txt', 404],
  ['/%252e%252e%252fsecret.txt', 404],
  ['/%2fetc%2fpasswd', 403],
  ['//etc/passwd', 404],
  ['/etc/passwd', 404],
  [`/${'..%2f'.repeat(10)}etc%2fpasswd`, 403],
  ['/./inside.txt', 403],
  ['/link-out', 404],
  ['/dir-out/secret.txt', 404],
  ['/dir-out/', 404],
]

test('hostile paths through app.handle (path exactly as sent): 403 or 404, never the secret', async (t) => {
  const { root } = setup(t)
  for (const cache of [undefined, false] as const) {
    const app = new App().static('/', root, { listing: true, cache })
    for (const [path, status] of HOSTILE) {
      const res = await call(app, path)
      assert.equal(res.status, status, path)
      assert.ok(!res.body.toString().includes('SECRET'), path)
    }
    // Backslashes sent raw (some clients do not escape them).
    assert.equal((await call(app, '/..\\secret.txt')).status, 403)
    assert.equal((await call(app, '/sub\\..\\..\\secret.txt')).status, 403)
    assert.equal((await call(app, '/inside.txt\0')).status, 403)
    // Symlinks that stay inside the root are fine.
    assert.equal((await call(app, '/link-in')).body.toString(), 'inside')
  }
})

test('hostile paths through app.request (WHATWG URL-normalized first): still nothing escapes', async (t) => {
  const { root } = setup(t)
  const app = new App().static('/', root)
  // '/./inside.txt' is just '/inside.txt' once normalized: a real file.
  for (const [path] of HOSTILE.filter(([p]) => p !== '/./inside.txt')) {
    const res = await app.request(path)
    assert.ok(res.status === 403 || res.status === 404, `${path}: ${res.status}`)
    assert.ok(!(await res.text()).includes('SECRET'), path)
  }
})

test('hostile paths over a raw socket: 403 or 404, never the secret, under a prefix too', async (t) => {
  const { root } = setup(t)
  const app = new App().static('/', root).static('/pub', root)
  const server = await serve(app, { port: 0 })
  t.after(() => server.close())
  const client = await RawClient.open(server.port)
  t.after(() => client.destroy())
  const sent: Array<[string, number]> = [...HOSTILE, ...HOSTILE.map(([p, s]): [string, number] => [`/pub${p}`, s])]
  // Absolute-form targets go through the same checks on their path.
  sent.push(['http://localhost/../secret.txt', 403], ['http://localhost/pub/%2e%2e/secret.txt', 403])
  for (const [path, status] of sent) {
    client.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
    const res = await client.response({ timeout: 5000 })
    assert.equal(res.status, status, path)
    assert.ok(!res.body.toString().includes('SECRET'), path)
  }
  // The connection survived all of it: a normal request still works.
  client.write('GET /pub/inside.txt HTTP/1.1\r\nHost: localhost\r\n\r\n')
  assert.equal((await client.response()).body.toString(), 'inside')
  // Raw backslashes in the request line.
  for (const path of ['/..\\secret.txt', '/pub/sub\\..\\..\\secret.txt']) {
    client.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
    const res = await client.response()
    assert.equal(res.status, 403, path)
  }
})

test('followSymlinks: true follows links out of the root (an explicit choice)', async (t) => {
  const { root } = setup(t)
  const app = new App().static('/', root, { followSymlinks: true })
  assert.equal((await call(app, '/link-out')).body.toString(), SECRET)
  assert.equal((await call(app, '/dir-out/secret.txt')).body.toString(), SECRET)
  // Traversal is still refused: following links is not climbing out with `..`.
  assert.equal((await call(app, '/../secret.txt')).status, 403)
})

test('a symlink swapped to point outside after being cached is refused once revalidated', async (t) => {
  const { root, parent } = setup(t)
  writeFileSync(join(root, 'swap.txt'), 'fine')
  const app = new App().static('/', root, { cache: { revalidate: 0 } })
  assert.equal((await call(app, '/swap.txt')).body.toString(), 'fine')
  rmSync(join(root, 'swap.txt'))
  symlinkSync(join(parent, 'secret.txt'), join(root, 'swap.txt'))
  assert.equal((await call(app, '/swap.txt')).status, 404)
})
