import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, HttpError, json, text, type Middleware } from 'weft'

/** Middleware that appends its name to the `x-trail` response header. */
function mark(name: string): Middleware {
  return async (_req, next) => {
    const res = await next()
    const prev = res.headers.get('x-trail')
    res.headers.set('x-trail', prev === undefined ? name : `${name},${prev}`)
    return res
  }
}

async function trail(app: App, path: string, method = 'GET'): Promise<[number, string | null]> {
  const res = await app.request(path, { method })
  await res.arrayBuffer()
  return [res.status, res.headers.get('x-trail')]
}

test('sub-apps are mounted under a prefix, each with its own middleware', async () => {
  const app = new App().use(mark('root'))
  const api = new App().use(mark('api'))
  const admin = new App().use(mark('admin'))
  api.get('/users', () => 'users')
  api.get('/', () => 'api root')
  admin.get('/stats', () => 'stats')
  app.get('/', () => 'home')
  app.route('/api', api)
  app.route('/admin', admin)

  assert.equal(await (await app.request('/api/users')).text(), 'users')
  assert.deepEqual(await trail(app, '/api/users'), [200, 'root,api'])
  assert.deepEqual(await trail(app, '/admin/stats'), [200, 'root,admin'])
  assert.deepEqual(await trail(app, '/'), [200, 'root'])
  // A sub-app's '/' is the prefix itself; the trailing-slash form is a different path.
  assert.equal(await (await app.request('/api')).text(), 'api root')
  assert.equal((await app.request('/api/')).status, 404)
  // The sub-app's own paths are not reachable without the prefix.
  assert.equal((await app.request('/users')).status, 404)
})

test('nested sub-apps stack prefixes and middleware', async () => {
  const app = new App().use(mark('root'))
  const api = new App().use(mark('api'))
  const v1 = new App().use(mark('v1'))
  v1.get('/items/:id', mark('route'), (req) => ({ id: req.params.id }))
  api.route('/v1', v1)
  app.route('/api/', api) // a trailing slash on the prefix is ignored
  const res = await app.request('/api/v1/items/9')
  assert.deepEqual(await res.json(), { id: '9' })
  assert.equal(res.headers.get('x-trail'), 'root,api,v1,route')
})

test('prefix middleware inside a sub-app is relative to its mount point', async () => {
  const app = new App()
  const api = new App()
  api.use('/private', (_req, _next) => text('Forbidden', { status: 403 }))
  api.get('/private/data', () => 'data')
  api.get('/public', () => 'public')
  app.get('/private/data', () => 'root data')
  app.route('/api', api)
  assert.equal((await app.request('/api/private/data')).status, 403)
  assert.equal((await app.request('/api/public')).status, 200)
  assert.equal(await (await app.request('/private/data')).text(), 'root data')
})

test('one sub-app can be mounted at two prefixes', async () => {
  const app = new App()
  const shared = new App().get('/ping', (req) => req.path)
  app.route('/a', shared).route('/b', shared)
  assert.equal(await (await app.request('/a/ping')).text(), '/a/ping')
  assert.equal(await (await app.request('/b/ping')).text(), '/b/ping')
  assert.throws(() => app.route('/self', app), /itself/)
})

test('a mount that would make a cycle is refused', () => {
  const a = new App()
  const b = new App()
  const c = new App()
  a.route('/b', b)
  b.route('/c', c)
  assert.throws(() => c.route('/a', a), /cycle/)
  assert.throws(() => b.route('/a', a), /cycle/)
})

test('onError belongs to its app and is inherited by sub-apps without one', async () => {
  const boom = (): never => {
    throw new HttpError(409, 'conflict')
  }
  const app = new App()
  app.onError((e) => json({ by: 'root', message: (e as Error).message }, { status: 409 }))
  const inherits = new App().get('/x', boom)
  const own = new App().get('/x', boom)
  own.onError((e) => json({ by: 'own', message: (e as Error).message }, { status: 409 }))
  const deeper = new App().get('/x', boom)
  own.route('/deeper', deeper)
  app.get('/x', boom)
  app.route('/inherits', inherits).route('/own', own)

  assert.deepEqual(await (await app.request('/x')).json(), { by: 'root', message: 'conflict' })
  assert.deepEqual(await (await app.request('/inherits/x')).json(), { by: 'root', message: 'conflict' })
  assert.deepEqual(await (await app.request('/own/x')).json(), { by: 'own', message: 'conflict' })
  assert.deepEqual(await (await app.request('/own/deeper/x')).json(), { by: 'own', message: 'conflict' })
})

test('a sub-app mounted alone uses the default error answer; mounting gives it the parent hook', async () => {
  const sub = new App({ logErrors: false }).get('/x', () => {
    throw new HttpError(422, 'bad')
  })
  assert.equal(await (await sub.request('/x')).text(), 'bad')
  const app = new App().onError(() => json({ wrapped: true }, { status: 422 }))
  app.route('/sub', sub)
  assert.deepEqual(await (await app.request('/sub/x')).json(), { wrapped: true })
  // The sub-app on its own is unchanged.
  assert.equal(await (await sub.request('/x')).text(), 'bad')
})

test('an onError hook that throws falls back to the default answer', async () => {
  const app = new App({ logErrors: false })
  app.onError(() => {
    throw new Error('the hook is broken')
  })
  app.get('/', () => {
    throw new HttpError(400, 'original')
  })
  const res = await app.request('/')
  assert.equal(res.status, 500)
  assert.equal(await res.text(), 'Internal Server Error')
})

test('notFound is scoped: the deepest mounted app that covers the path answers', async () => {
  const app = new App().notFound((req) => text(`root miss ${req.path}`, { status: 404 }))
  const api = new App().notFound((req) => json({ error: 'api miss', path: req.path }, { status: 404 }))
  const quiet = new App() // no notFound of its own: inherits the root's
  api.get('/users', () => [])
  quiet.get('/here', () => 'here')
  app.route('/api', api).route('/quiet', quiet)

  const apiMiss = await app.request('/api/nothing')
  assert.equal(apiMiss.status, 404)
  assert.deepEqual(await apiMiss.json(), { error: 'api miss', path: '/api/nothing' })
  assert.deepEqual(await (await app.request('/api')).json(), { error: 'api miss', path: '/api' })
  assert.equal(await (await app.request('/apix')).text(), 'root miss /apix')
  assert.equal(await (await app.request('/nothing')).text(), 'root miss /nothing')
  assert.equal(await (await app.request('/quiet/nothing')).text(), 'root miss /quiet/nothing')
})

test('a miss runs the middleware of its scope, and undefined from a handler is a 404 too', async () => {
  const app = new App().use(mark('root'))
  const api = new App().use(mark('api'))
  api.get('/maybe/:id', (req) => (req.params.id === '1' ? { id: 1 } : undefined))
  app.route('/api', api)
  assert.deepEqual(await trail(app, '/api/none'), [404, 'root,api'])
  assert.deepEqual(await trail(app, '/none'), [404, 'root'])
  assert.deepEqual(await trail(app, '/api/maybe/2'), [404, 'root,api'])
  assert.deepEqual(await trail(app, '/api/maybe/1'), [200, 'root,api'])
})

test('405 and OPTIONS in a sub-app go through its middleware, and 405 through its onError', async () => {
  const app = new App()
  const api = new App().use(mark('api'))
  api.onError((e) => json({ error: (e as Error).message }, { status: (e as HttpError).status, headers: (e as HttpError).headers }))
  api.get('/thing', () => 'thing')
  app.route('/api', api)
  const res = await app.request('/api/thing', { method: 'DELETE' })
  assert.equal(res.status, 405)
  assert.equal(res.headers.get('allow'), 'GET, HEAD, OPTIONS')
  assert.equal(res.headers.get('x-trail'), 'api')
  assert.deepEqual(await res.json(), { error: 'Method Not Allowed' })
  assert.deepEqual(await trail(app, '/api/thing', 'OPTIONS'), [204, 'api'])
})

test('routes added after the first request are served (the app recompiles)', async () => {
  const app = new App()
  app.get('/one', () => 'one')
  assert.equal((await app.request('/two')).status, 404)
  app.get('/two', () => 'two')
  assert.equal(await (await app.request('/two')).text(), 'two')
  app.post('/one', () => 'posted')
  assert.equal(await (await app.request('/one', { method: 'POST' })).text(), 'posted')
  app.use(mark('late'))
  assert.equal((await app.request('/one')).headers.get('x-trail'), 'late')
  app.notFound(() => text('custom', { status: 404 }))
  assert.equal(await (await app.request('/three')).text(), 'custom')
})

test('routes, middleware and hooks added to a sub-app after mounting are served', async () => {
  const app = new App()
  const api = new App()
  const v2 = new App()
  app.route('/api', api)
  api.route('/v2', v2)
  assert.equal((await app.request('/api/late')).status, 404)
  api.get('/late', () => 'late')
  v2.get('/deep', () => 'deep')
  assert.equal(await (await app.request('/api/late')).text(), 'late')
  assert.equal(await (await app.request('/api/v2/deep')).text(), 'deep')
  v2.use(mark('v2'))
  assert.equal((await app.request('/api/v2/deep')).headers.get('x-trail'), 'v2')
  v2.notFound(() => text('v2 miss', { status: 404 }))
  assert.equal(await (await app.request('/api/v2/gone')).text(), 'v2 miss')
})

test('a duplicate route across app and sub-app is refused when the app compiles', async () => {
  const app = new App().get('/api/x', () => 'root')
  app.route('/api', new App().get('/x', () => 'sub'))
  await assert.rejects(app.request('/api/x'), /already defined/)
})

test('bodyLimit is per app and inherited by sub-apps', async () => {
  const app = new App({ bodyLimit: 10 })
  const inherits = new App()
  const roomy = new App({ bodyLimit: 100 })
  const tight = new App({ bodyLimit: 2 })
  for (const sub of [app, inherits, roomy]) sub.post('/echo', async (req) => ({ limit: req.bodyLimit, body: await req.text() }))
  tight.post('/echo', async (req) => ({ limit: req.bodyLimit, body: await req.text() }))
  roomy.route('/tight', tight)
  app.route('/inherits', inherits).route('/roomy', roomy)

  const post = (path: string, size: number): Promise<globalThis.Response> => app.request(path, { method: 'POST', body: 'x'.repeat(size) })
  assert.equal((await post('/echo', 10)).status, 200)
  assert.equal((await post('/echo', 11)).status, 413)
  assert.equal((await post('/inherits/echo', 10)).status, 200)
  assert.equal((await post('/inherits/echo', 11)).status, 413)
  assert.deepEqual(await (await post('/roomy/echo', 100)).json(), { limit: 100, body: 'x'.repeat(100) })
  assert.equal((await post('/roomy/echo', 101)).status, 413)
  assert.equal((await post('/roomy/tight/echo', 2)).status, 200)
  assert.equal((await post('/roomy/tight/echo', 3)).status, 413)
  assert.throws(() => new App({ bodyLimit: -1 }), RangeError)
})

test('the default bodyLimit is 1 MiB', async () => {
  const app = new App().post('/', async (req) => (await req.bytes()).length)
  assert.equal(await (await app.request('/', { method: 'POST', body: new Uint8Array(1024 * 1024) })).text(), String(1024 * 1024))
  assert.equal((await app.request('/', { method: 'POST', body: new Uint8Array(1024 * 1024 + 1) })).status, 413)
})

test('a sub-app mounted at / keeps its static folders and not-found hook, and falls back to the parent', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(join(tmpdir(), 'weft-mount-'))
  const parentDir = mkdtempSync(join(tmpdir(), 'weft-mount-parent-'))
  try {
    writeFileSync(join(dir, 'x.txt'), 'from sub')
    writeFileSync(join(parentDir, 'y.txt'), 'from parent')
    const sub = new App().static('/media', dir)
    const app = new App().static('/files', parentDir)
    app.route('/', sub)
    assert.equal(await (await app.request('/media/x.txt')).text(), 'from sub')
    assert.equal(await (await app.request('/files/y.txt')).text(), 'from parent')
    assert.equal((await app.request('/nothing')).status, 404)
    sub.notFound(() => 'sub says no')
    assert.equal(await (await app.request('/nothing')).text(), 'sub says no')
  } finally {
    rmSync(dir, { recursive: true, force: true })
    rmSync(parentDir, { recursive: true, force: true })
  }
})
