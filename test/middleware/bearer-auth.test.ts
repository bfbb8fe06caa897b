import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { App } from 'weft'
import { bearerAuth, safeEqual } from 'weft/middleware'
import { withServer } from './socket.ts'

function apiApp(options: Parameters<typeof bearerAuth>[0]): { app: App; calls: () => number } {
  let calls = 0
  const app = new App({ logErrors: false })
  app.get('/api/data', bearerAuth(options), (req) => {
    calls++
    return { token: req.state.token }
  })
  return { app, calls: () => calls }
}

const get = (app: App, authorization?: string): Promise<Response> =>
  app.request('/api/data', { headers: authorization === undefined ? {} : { authorization } })

test('bearerAuth: the right token passes and lands in req.state.token', async () => {
  const { app } = apiApp({ token: 'tok-123' })
  const res = await get(app, 'Bearer tok-123')
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { token: 'tok-123' })
  assert.equal((await get(app, 'bearer   tok-123  ')).status, 200, 'scheme is case-insensitive, whitespace tolerated')
})

test('bearerAuth: several tokens (rotation)', async () => {
  const { app } = apiApp({ token: ['old', 'new'] })
  assert.equal((await get(app, 'Bearer old')).status, 200)
  assert.equal((await get(app, 'Bearer new')).status, 200)
  assert.equal((await get(app, 'Bearer neww')).status, 401)
})

test('bearerAuth: no credentials → 401 with a bare challenge (RFC 6750 3.1)', async () => {
  const { app, calls } = apiApp({ token: 'tok-123', realm: 'api' })
  for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearertok-123', '']) {
    const res = await get(app, authorization)
    assert.equal(res.status, 401, String(authorization))
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"')
  }
  assert.equal(calls(), 0)
})

test('bearerAuth: wrong or malformed tokens → 401 invalid_token, never 500', async () => {
  const { app, calls } = apiApp({ token: 'tok-123' })
  const hostile = [
    'Bearer tok-1234',
    'Bearer tok-12',
    'Bearer TOK-123',
    'Bearer',
    'Bearer ',
    'Bearer tok 123',
    'Bearer tok-123,tok-123',
    'Bearer "tok-123"',
    'Bearer =tok',
    'Bearer tok-123=x',
    'Bearer tok\u00e9',
    'Bearer ' + 'a'.repeat(200_000),
    'Bearer tok-123\u0000',
  ]
  for (const authorization of hostile) {
    const res = await get(app, authorization)
    assert.equal(res.status, 401, JSON.stringify(authorization.slice(0, 40)))
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="Restricted", error="invalid_token"')
  }
  assert.equal(calls(), 0)
})

test('bearerAuth: verify callback, async, with safeEqual', async () => {
  const seen: string[] = []
  const { app } = apiApp({
    verify: async (token, req) => {
      seen.push(`${token} ${req.method}`)
      return safeEqual(token, 'abc.def.ghi')
    },
  })
  assert.equal((await get(app, 'Bearer abc.def.ghi')).status, 200)
  assert.equal((await get(app, 'Bearer abc.def.gh')).status, 401)
  assert.deepEqual(seen, ['abc.def.ghi GET', 'abc.def.gh GET'])
})

test('bearerAuth: a throwing verify is a server error, not a pass', async () => {
  const { app, calls } = apiApp({
    verify: () => {
      throw new Error('db down')
    },
  })
  assert.equal((await get(app, 'Bearer x')).status, 500)
  assert.equal(calls(), 0)
})

test('bearerAuth: bad options are refused up front', () => {
  assert.throws(() => bearerAuth({ token: [] }), /token.*verify/)
  assert.throws(() => bearerAuth({ token: '' }), /b64token/)
  assert.throws(() => bearerAuth({ token: 'has space' }), /b64token/)
  assert.throws(() => bearerAuth({} as never), /token.*verify/)
})

test('safeEqual compares contents, not just lengths', () => {
  assert.equal(safeEqual('abc', 'abc'), true)
  assert.equal(safeEqual('abc', 'abd'), false)
  assert.equal(safeEqual('abc', 'abcd'), false)
  assert.equal(safeEqual('', ''), true)
})

test('bearerAuth: over a real socket', async () => {
  const { app } = apiApp({ token: 'tok-123' })
  await withServer(app, async (server) => {
    const denied = await request(`${server.url}/api/data`, { headers: { authorization: 'Bearer nope' } })
    assert.equal(denied.statusCode, 401)
    assert.equal(denied.headers['www-authenticate'], 'Bearer realm="Restricted", error="invalid_token"')
    await denied.body.dump()
    const ok = await request(`${server.url}/api/data`, { headers: { authorization: 'Bearer tok-123' } })
    assert.equal(ok.statusCode, 200)
    assert.deepEqual(await ok.body.json(), { token: 'tok-123' })
  })
})
