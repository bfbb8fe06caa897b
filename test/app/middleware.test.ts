import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, HttpError, json, text, type Middleware } from 'weft'

/** Middleware that records when it runs before and after the rest of the chain. */
function trace(log: string[], name: string): Middleware {
  return async (_req, next) => {
    log.push(`${name}>`)
    const res = await next()
    log.push(`<${name}`)
    return res
  }
}

test('middleware is an onion: app-wide in order, then per-route, then the handler', async () => {
  const log: string[] = []
  const app = new App()
  app.use(trace(log, 'a'), trace(log, 'b'))
  app.use(trace(log, 'c'))
  app.get('/', trace(log, 'r1'), trace(log, 'r2'), () => {
    log.push('handler')
    return 'ok'
  })
  const res = await app.request('/')
  assert.equal(await res.text(), 'ok')
  assert.deepEqual(log, ['a>', 'b>', 'c>', 'r1>', 'r2>', 'handler', '<r2', '<r1', '<c', '<b', '<a'])
})

test('app.use() applies to every route of the app, also routes added before it', async () => {
  const app = new App()
  app.get('/early', () => 'early')
  app.use(async (_req, next) => {
    const res = await next()
    res.headers.set('x-mw', 'yes')
    return res
  })
  app.get('/late', () => 'late')
  assert.equal((await app.request('/early')).headers.get('x-mw'), 'yes')
  assert.equal((await app.request('/late')).headers.get('x-mw'), 'yes')
})

test('middleware can change the response on the way out', async () => {
  const app = new App()
  app.use(async (_req, next) => {
    const res = await next()
    res.headers.set('x-outer', String(res.status))
    res.status = 202
    return res
  })
  app.get('/', () => json({ ok: true }))
  const res = await app.request('/')
  assert.equal(res.status, 202)
  assert.equal(res.headers.get('x-outer'), '200')
  assert.deepEqual(await res.json(), { ok: true })
})

test('middleware short-circuits by answering without next()', async () => {
  const log: string[] = []
  const app = new App()
  app.use(trace(log, 'outer'))
  app.use((req, next) => (req.header('authorization') === 'Bearer t' ? next() : text('no', { status: 401 })))
  app.use(trace(log, 'inner'))
  app.get('/', () => {
    log.push('handler')
    return 'secret'
  })
  const denied = await app.request('/')
  assert.equal(denied.status, 401)
  assert.equal(await denied.text(), 'no')
  assert.deepEqual(log, ['outer>', '<outer'])
  log.length = 0
  const allowed = await app.request('/', { headers: { authorization: 'Bearer t' } })
  assert.equal(await allowed.text(), 'secret')
  assert.deepEqual(log, ['outer>', 'inner>', 'handler', '<inner', '<outer'])
})

test('middleware may return a plain value, which becomes a response', async () => {
  const app = new App()
  app.use('/obj', () => ({ from: 'middleware' }))
  app.use('/str', () => 'short')
  app.get('/obj', () => 'handler')
  app.get('/str', () => 'handler')
  assert.deepEqual(await (await app.request('/obj')).json(), { from: 'middleware' })
  assert.equal(await (await app.request('/str')).text(), 'short')
})

test('a handler error reaches the middleware as a 500 response, not as a rejection', async () => {
  const seen: number[] = []
  const app = new App({ logErrors: false })
  app.use(async (_req, next) => {
    const res = await next()
    seen.push(res.status)
    res.headers.set('x-seen', 'yes')
    return res
  })
  app.get('/sync', () => {
    throw new Error('boom')
  })
  app.get('/async', async () => {
    await Promise.resolve()
    throw new Error('boom')
  })
  app.get('/teapot', () => {
    throw new HttpError(418, 'short and stout')
  })
  for (const path of ['/sync', '/async']) {
    const res = await app.request(path)
    assert.equal(res.status, 500)
    assert.equal(res.headers.get('x-seen'), 'yes')
    assert.equal(await res.text(), 'Internal Server Error', 'no details outside dev mode')
  }
  const teapot = await app.request('/teapot')
  assert.equal(teapot.status, 418)
  assert.equal(await teapot.text(), 'short and stout')
  assert.deepEqual(seen, [500, 500, 418])
})

test('unexpected errors are logged once with the request; dev mode sends the stack', async () => {
  const logged: Array<[unknown, string | undefined]> = []
  const app = new App({ logErrors: (error, req) => logged.push([error, req?.path]) })
  app.get('/x', () => {
    throw new Error('kaput')
  })
  assert.equal((await app.request('/x')).status, 500)
  assert.equal(logged.length, 1)
  assert.equal((logged[0]![0] as Error).message, 'kaput')
  assert.equal(logged[0]![1], '/x')

  const dev = new App({ dev: true, logErrors: false })
  dev.get('/x', () => {
    throw new Error('kaput')
  })
  const res = await dev.request('/x')
  assert.equal(res.status, 500)
  assert.match(await res.text(), /Error: kaput\n\s+at /)
})

test('an error thrown by middleware is answered by onError; outer layers still see it', async () => {
  const app = new App()
  app.use(async (_req, next) => {
    const res = await next()
    res.headers.set('x-outer', String(res.status))
    return res
  })
  app.use(() => {
    throw new HttpError(403, 'keep out')
  })
  app.onError((error) => json({ caught: (error as Error).message }, { status: (error as HttpError).status }))
  app.get('/', () => 'unreachable')
  const res = await app.request('/')
  assert.equal(res.status, 403)
  assert.equal(res.headers.get('x-outer'), '403')
  assert.deepEqual(await res.json(), { caught: 'keep out' })
})

test('calling next() twice is an error', async () => {
  const app = new App({ logErrors: false })
  app.use(async (_req, next) => {
    await next()
    return next()
  })
  let calls = 0
  app.get('/', () => {
    calls++
    return 'once'
  })
  const res = await app.request('/')
  assert.equal(res.status, 500)
  assert.equal(calls, 1)
})

test('prefix middleware covers the prefix and below, not lookalikes', async () => {
  const app = new App()
  app.use('/admin', (_req, next) => next().then((res) => (res.headers.set('x-admin', '1'), res)))
  for (const path of ['/', '/admin', '/admin/users', '/administrator', '/other/admin']) app.get(path, () => path)
  const marked: string[] = []
  for (const path of ['/', '/admin', '/admin/users', '/administrator', '/other/admin']) {
    if ((await app.request(path)).headers.get('x-admin') === '1') marked.push(path)
  }
  assert.deepEqual(marked, ['/admin', '/admin/users'])
})

test('prefix middleware guards paths with no route under the prefix too', async () => {
  const app = new App()
  app.use('/admin/*', (req, next) => (req.header('x-key') === 'k' ? next() : text('Unauthorized', { status: 401 })))
  app.get('/admin/panel', () => 'panel')
  assert.equal((await app.request('/admin/panel')).status, 401)
  assert.equal((await app.request('/admin/nothing-here')).status, 401, 'a miss under /admin is not revealed as 404')
  assert.equal((await app.request('/admin/nothing-here', { headers: { 'x-key': 'k' } })).status, 404)
  assert.equal((await app.request('/elsewhere')).status, 404)
})

test('prefix middleware applies to parameter and wildcard routes that match under the prefix', async () => {
  const app = new App()
  app.use('/admin', (_req, _next) => text('Unauthorized', { status: 401 }))
  app.use('/files/private', (_req, _next) => text('Forbidden', { status: 403 }))
  app.get('/:page', (req) => `page ${req.params.page}`)
  app.get('/files/*', (req) => `file ${req.params['*']}`)
  app.get('/users/:id', (req) => `user ${req.params.id}`)
  // A route pattern does not say which side of the prefix a request falls on; the request does.
  assert.equal((await app.request('/admin')).status, 401)
  assert.equal(await (await app.request('/home')).text(), 'page home')
  assert.equal((await app.request('/files/private')).status, 403)
  assert.equal((await app.request('/files/private/key.pem')).status, 403)
  assert.equal(await (await app.request('/files/privateer')).text(), 'file privateer')
  assert.equal(await (await app.request('/files/public/a.txt')).text(), 'file public/a.txt')
  assert.equal(await (await app.request('/users/admin')).text(), 'user admin')
  // Asked again, the cached chains give the same answers.
  assert.equal((await app.request('/admin')).status, 401)
  assert.equal(await (await app.request('/about')).text(), 'page about')
})

test('per-route middleware runs for its route only', async () => {
  const app = new App()
  const tag: Middleware = async (_req, next) => {
    const res = await next()
    res.headers.set('x-tag', 'on')
    return res
  }
  app.get('/tagged', tag, () => 'a')
  app.get('/plain', () => 'b')
  app.post('/tagged', () => 'c')
  assert.equal((await app.request('/tagged')).headers.get('x-tag'), 'on')
  assert.equal((await app.request('/plain')).headers.get('x-tag'), null)
  assert.equal((await app.request('/tagged', { method: 'POST' })).headers.get('x-tag'), null)
})

test('req.state carries values from middleware to the handler, per request', async () => {
  const app = new App()
  let n = 0
  app.use((req, next) => {
    req.state.user = `user${++n}`
    return next()
  })
  app.get('/me', (req) => ({ user: req.state.user, keys: Object.keys(req.state) }))
  app.get('/fresh', (req) => ({ before: Object.keys(req.state).length }))
  assert.deepEqual(await (await app.request('/me')).json(), { user: 'user1', keys: ['user'] })
  assert.deepEqual(await (await app.request('/me')).json(), { user: 'user2', keys: ['user'] })
  assert.deepEqual(await (await app.request('/fresh')).json(), { before: 1 }, 'only what this request set')
})

test('route params are set before route middleware runs', async () => {
  const app = new App()
  app.get(
    '/users/:id',
    (req, next) => (req.params.id === '0' ? text('no user zero', { status: 400 }) : next()),
    (req) => ({ id: req.params.id }),
  )
  assert.equal((await app.request('/users/0')).status, 400)
  assert.deepEqual(await (await app.request('/users/7')).json(), { id: '7' })
})

test('use() refuses what is not a function, and prefixes that do not start with /', () => {
  const app = new App()
  assert.throws(() => app.use('/x', 'nope' as unknown as Middleware), TypeError)
  assert.throws(() => app.use('admin', () => 'x'), /must start/)
  const bare = app.get.bind(app) as unknown as (path: string) => App
  assert.throws(() => bare('/x'), /needs a handler/)
})
