import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, HttpError, Router } from 'weft'
import { ROUTER_CASES } from './cases.ts'

for (const c of ROUTER_CASES) {
  test(`Router: ${c.name}`, () => {
    const router = new Router<number>()
    c.routes.forEach((path, i) => router.add('GET', path, i))
    const m = router.find('GET', c.path)
    if (c.route === null) {
      assert.equal(m.kind, 'none')
      return
    }
    assert.equal(m.kind, 'found')
    if (m.kind !== 'found') return
    assert.equal(m.value, c.route)
    assert.deepEqual({ ...m.params }, c.params ?? {})
  })

  test(`App: ${c.name}`, async () => {
    const app = new App()
    c.routes.forEach((path, i) => app.get(path, (req) => ({ route: i, params: req.params })))
    const res = await app.request(c.path)
    if (c.route === null) {
      assert.equal(res.status, 404)
      return
    }
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { route: c.route, params: c.params ?? {} })
  })
}

test('malformed escape in a parameter is a 400', async () => {
  const router = new Router<number>()
  router.add('GET', '/p/:v', 1)
  assert.throws(() => router.find('GET', '/p/%E0%A4%A'), (e: unknown) => e instanceof HttpError && e.status === 400)
  const app = new App()
  app.get('/p/:v', (req) => req.params.v)
  const res = await app.request('/p/%zz')
  assert.equal(res.status, 400)
  assert.match(await res.text(), /percent-encoding/)
})

test('duplicate route is refused', () => {
  const router = new Router<number>()
  router.add('GET', '/a/:x', 1)
  assert.throws(() => router.add('GET', '/a/:x', 2), /already defined/)
})

test('bad patterns are refused', () => {
  const router = new Router<number>()
  assert.throws(() => router.add('GET', 'a', 1), /must start/)
  assert.throws(() => router.add('GET', '/a/*x/b', 1), /wildcard/)
  assert.throws(() => router.add('GET', '/a/:1x', 1), /invalid parameter/)
  assert.throws(() => router.add('GET', '/a/:x(\\d+', 1), /unclosed/)
})

test('method table: HEAD from GET, OPTIONS and 405 with Allow', () => {
  const router = new Router<string>()
  router.add('GET', '/r', 'get')
  router.add('POST', '/r', 'post')
  const head = router.find('HEAD', '/r')
  assert.equal(head.kind === 'found' && head.head && head.value, 'get')
  // A static path's matches are made once: GET's is not HEAD's, and each is the same every time.
  const get = router.find('GET', '/r')
  assert.equal(get.kind === 'found' && !get.head && get.value, 'get')
  assert.equal(router.find('GET', '/r'), get)
  assert.equal(router.find('HEAD', '/r'), head)
  assert.deepEqual(get.kind === 'found' && Object.keys(get.params), [])
  const options = router.find('OPTIONS', '/r')
  assert.equal(options.kind === 'method' && options.allow, 'GET, HEAD, OPTIONS, POST')
  const del = router.find('DELETE', '/r')
  assert.equal(del.kind, 'method')
})

test('path params are typed from the literal', async () => {
  const app = new App()
  app.get('/users/:id/files/*path', (req) => {
    const id: string = req.params.id
    const path: string = req.params.path
    // @ts-expect-error: no such parameter in the path
    void req.params.nope
    return { id, path }
  })
  const res = await app.request('/users/1/files/a/b')
  assert.deepEqual(await res.json(), { id: '1', path: 'a/b' })
})
