import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { App, Response } from 'weft'
import { addVary, cors, type CorsOptions } from 'weft/middleware'
import { withServer } from './socket.ts'

function corsApp(options?: CorsOptions): { app: App; calls: () => number } {
  let calls = 0
  const app = new App({ logErrors: false })
  app.use(cors(options))
  app.get('/data', () => {
    calls++
    return { ok: true }
  })
  app.options('/data', () => {
    calls++
    return 'options route'
  })
  app.get('/vary', (req) => {
    calls++
    const res = new Response('v')
    res.headers.set('vary', req.query.get('vary') ?? '')
    return res
  })
  app.put('/only-put', () => 'put')
  return { app, calls: () => calls }
}

const preflight = (app: App, path: string, origin: string, extra: Record<string, string> = {}): Promise<globalThis.Response> =>
  app.request(path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT', ...extra } })

const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-expose-headers', 'access-control-max-age']
function corsHeadersOf(res: globalThis.Response): string[] {
  return CORS_HEADERS.filter((h) => res.headers.has(h))
}

test('cors: default "*" answers every request the same, without Vary', async () => {
  const { app } = corsApp()
  const withOrigin = await app.request('/data', { headers: { origin: 'https://a.example' } })
  assert.equal(withOrigin.headers.get('access-control-allow-origin'), '*')
  assert.equal(withOrigin.headers.get('vary'), null)
  assert.equal(withOrigin.headers.get('access-control-allow-credentials'), null)
  const without = await app.request('/data')
  assert.equal(without.headers.get('access-control-allow-origin'), '*')
})

test('cors: preflight is answered 204 by the middleware, reflecting requested headers', async () => {
  const { app, calls } = corsApp()
  const res = await preflight(app, '/data', 'https://a.example', { 'access-control-request-headers': 'content-type, x-token' })
  assert.equal(res.status, 204)
  assert.equal(res.headers.get('access-control-allow-origin'), '*')
  assert.equal(res.headers.get('access-control-allow-methods'), 'GET, HEAD, PUT, PATCH, POST, DELETE')
  assert.equal(res.headers.get('access-control-allow-headers'), 'content-type, x-token')
  assert.equal(res.headers.get('access-control-max-age'), null)
  assert.equal(res.headers.get('vary'), 'Access-Control-Request-Headers')
  assert.equal(calls(), 0, 'the OPTIONS route did not run')
  // A preflight for a path with no route at all is answered the same way.
  assert.equal((await preflight(app, '/nowhere', 'https://a.example')).status, 204)
})

test('cors: OPTIONS that is not a preflight goes through to the app', async () => {
  const { app, calls } = corsApp()
  const routed = await app.request('/data', { method: 'OPTIONS', headers: { origin: 'https://a.example' } })
  assert.equal(await routed.text(), 'options route')
  assert.equal(calls(), 1)
  // No OPTIONS route: the app's own 204 + Allow answer, with CORS headers added on the way out.
  const auto = await app.request('/only-put', { method: 'OPTIONS', headers: { origin: 'https://a.example' } })
  assert.equal(auto.status, 204)
  assert.match(auto.headers.get('allow') ?? '', /PUT/)
  assert.equal(auto.headers.get('access-control-allow-origin'), '*')
})

test('cors: an exact origin is echoed only to itself, with Vary: Origin on every answer', async () => {
  const { app } = corsApp({ origin: 'https://App.example/' })
  const ok = await app.request('/data', { headers: { origin: 'https://app.example' } })
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example')
  assert.equal(ok.headers.get('vary'), 'Origin')
  const other = await app.request('/data', { headers: { origin: 'https://evil.example' } })
  assert.equal(other.status, 200)
  assert.deepEqual(corsHeadersOf(other), [])
  assert.equal(other.headers.get('vary'), 'Origin')
  const none = await app.request('/data')
  assert.deepEqual(corsHeadersOf(none), [])
  assert.equal(none.headers.get('vary'), 'Origin', 'cacheable answers must say they depend on Origin')
})

test('cors: lists, RegExps (even with /g) and functions', async () => {
  const list = corsApp({ origin: ['https://a.example', 'http://localhost:3000'] }).app
  assert.equal((await list.request('/data', { headers: { origin: 'http://localhost:3000' } })).headers.get('access-control-allow-origin'), 'http://localhost:3000')
  assert.equal((await list.request('/data', { headers: { origin: 'http://localhost:3001' } })).headers.get('access-control-allow-origin'), null)

  const re = corsApp({ origin: /^https:\/\/[a-z]+\.example$/g }).app
  for (let i = 0; i < 3; i++) {
    // A global RegExp keeps lastIndex between test() calls; the second call would fail.
    const res = await re.request('/data', { headers: { origin: 'https://sub.example' } })
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://sub.example', `call ${i}`)
  }
  assert.equal((await re.request('/data', { headers: { origin: 'https://sub.example.evil' } })).headers.get('access-control-allow-origin'), null)

  const seen: string[] = []
  const fn = corsApp({
    origin: async (origin, req) => {
      seen.push(`${origin} ${req.path}`)
      if (origin === 'https://yes.example') return true
      if (origin === 'https://alias.example') return 'https://canonical.example'
      return false
    },
  }).app
  assert.equal((await fn.request('/data', { headers: { origin: 'https://yes.example' } })).headers.get('access-control-allow-origin'), 'https://yes.example')
  assert.equal((await fn.request('/data', { headers: { origin: 'https://alias.example' } })).headers.get('access-control-allow-origin'), 'https://canonical.example')
  assert.equal((await fn.request('/data', { headers: { origin: 'https://no.example' } })).headers.get('access-control-allow-origin'), null)
  await fn.request('/data')
  assert.deepEqual(seen, ['https://yes.example /data', 'https://alias.example /data', 'https://no.example /data'], 'not called without an Origin')
})

test('cors: credentials never go with "*": the origin is echoed instead', async () => {
  const { app } = corsApp({ credentials: true, exposeHeaders: ['X-Total', 'ETag'] })
  const res = await app.request('/data', { headers: { origin: 'https://a.example' } })
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://a.example')
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true')
  assert.equal(res.headers.get('access-control-expose-headers'), 'X-Total, ETag')
  assert.equal(res.headers.get('vary'), 'Origin')
  const pre = await preflight(app, '/data', 'https://a.example')
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://a.example')
  assert.equal(pre.headers.get('access-control-allow-credentials'), 'true')
  assert.equal(pre.headers.get('vary'), 'Origin, Access-Control-Request-Headers')
})

test('cors: configured preflight headers and maxAge', async () => {
  const { app } = corsApp({ origin: 'https://a.example', methods: ['GET', 'POST'], allowHeaders: ['Content-Type', 'Authorization'], maxAge: 600 })
  const res = await preflight(app, '/data', 'https://a.example', { 'access-control-request-headers': 'x-anything' })
  assert.equal(res.status, 204)
  assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST')
  assert.equal(res.headers.get('access-control-allow-headers'), 'Content-Type, Authorization')
  assert.equal(res.headers.get('access-control-max-age'), '600')
  assert.equal(res.headers.get('vary'), 'Origin')
})

test('cors: a refused origin gets a bare 204 preflight and no CORS headers', async () => {
  const { app, calls } = corsApp({ origin: 'https://a.example', maxAge: 60 })
  const res = await preflight(app, '/data', 'https://evil.example', { 'access-control-request-headers': 'x-token' })
  assert.equal(res.status, 204)
  assert.deepEqual(corsHeadersOf(res), [])
  assert.equal(res.headers.get('vary'), 'Origin, Access-Control-Request-Headers')
  assert.equal(calls(), 0)
})

test('cors: Vary is appended to, never clobbered or repeated', async () => {
  const { app } = corsApp({ origin: ['https://a.example'] })
  const cases: Array<[string, string]> = [
    ['Accept-Encoding', 'Accept-Encoding, Origin'],
    ['accept-encoding, origin', 'accept-encoding, origin'],
    ['Accept-Language,Origin', 'Accept-Language,Origin'],
    ['*', '*'],
    ['', 'Origin'],
  ]
  for (const [given, expected] of cases) {
    const res = await app.request(`/vary?vary=${encodeURIComponent(given)}`, { headers: { origin: 'https://a.example' } })
    assert.equal(res.headers.get('vary'), expected, given)
  }
})

test('cors: weird origins are refused, never echoed, never a 500', async () => {
  const { app } = corsApp({ origin: '*', credentials: true })
  const weird = [
    'null',
    'https://a.example, https://b.example',
    'https://a.example/path',
    'https://a.example\r\nSet-Cookie: x=1',
    'https://a.example\0',
    'javascript:alert(1)',
    'https://',
    '*',
    '',
    ' https://a.example',
    'https://a.example:999999',
    'x'.repeat(10_000),
  ]
  for (const origin of weird) {
    const res = await app.request('/data', { headers: { origin } })
    assert.equal(res.status, 200, JSON.stringify(origin.slice(0, 30)))
    const acao = res.headers.get('access-control-allow-origin')
    // 'null' is syntactically an origin; with '*' + credentials it is the one echo allowed.
    if (origin === 'null') assert.equal(acao, 'null')
    else assert.equal(acao, null, JSON.stringify(origin.slice(0, 30)))
    const pre = await preflight(app, '/data', origin)
    assert.equal(pre.status, 204)
  }
  // With an allow list, 'null' (sandboxed frames, file:) and look-alikes are refused.
  const strict = corsApp({ origin: ['https://a.example'] }).app
  for (const origin of ['null', 'https://a.example.evil.example', 'https://xa.example', 'http://a.example', 'https://A.EXAMPLE']) {
    const res = await strict.request('/data', { headers: { origin } })
    assert.equal(res.headers.get('access-control-allow-origin'), null, origin)
  }
  // Malformed Access-Control-Request-Headers is not reflected.
  const pre = await preflight(corsApp().app, '/data', 'https://a.example', { 'access-control-request-headers': 'x-a, bad header, (y)' })
  assert.equal(pre.headers.get('access-control-allow-headers'), null)
})

test('cors: bad options are refused up front', () => {
  assert.throws(() => cors({ origin: ['https://a.example', '*'] }), /cannot be part/)
  assert.throws(() => cors({ origin: 'a.example' }), /not an origin/)
  assert.throws(() => cors({ origin: ['https://a.example/path'] }), /not an origin/)
  assert.throws(() => cors({ maxAge: -1 }), /maxAge/)
  assert.throws(() => cors({ maxAge: 1.5 }), /maxAge/)
  assert.throws(() => cors({ methods: ['GET POST'] }), /methods/)
  assert.throws(() => cors({ allowHeaders: ['x\r\ny'] }), /allowHeaders/)
  assert.throws(() => cors({ origin: 42 as never }), /origin must be/)
})

test('cors: over a real socket, preflight and the actual request', async () => {
  const { app, calls } = corsApp({ origin: 'https://a.example', credentials: true, maxAge: 120 })
  await withServer(app, async (server) => {
    const pre = await request(`${server.url}/data`, {
      method: 'OPTIONS',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-token' },
    })
    assert.equal(pre.statusCode, 204)
    assert.equal(pre.headers['access-control-allow-origin'], 'https://a.example')
    assert.equal(pre.headers['access-control-allow-headers'], 'x-token')
    assert.equal(pre.headers['access-control-max-age'], '120')
    await pre.body.dump()
    const res = await request(`${server.url}/data`, { headers: { origin: 'https://a.example' } })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['access-control-allow-origin'], 'https://a.example')
    assert.equal(res.headers['access-control-allow-credentials'], 'true')
    assert.equal(res.headers['vary'], 'Origin')
    assert.deepEqual(await res.body.json(), { ok: true })
  })
  assert.equal(calls(), 1)
})

test('addVary: several names, case-insensitive, no repeats', () => {
  const res = new Response('x')
  addVary(res, 'Origin')
  addVary(res, 'origin, Accept-Encoding')
  assert.equal(res.headers.get('vary'), 'Origin, Accept-Encoding')
  res.headers.set('vary', 'Accept, *')
  addVary(res, 'Origin')
  assert.equal(res.headers.get('vary'), 'Accept, *')
})
