import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { App } from 'weft'
import { basicAuth } from 'weft/middleware'
import { withServer } from './socket.ts'

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')

function protectedApp(options: Parameters<typeof basicAuth>[0] = { users: { alice: 's3cret', 'bob': 'pä:ss' } }): { app: App; calls: () => number } {
  let calls = 0
  const app = new App({ logErrors: false })
  app.use('/admin', basicAuth(options))
  app.get('/admin/me', (req) => {
    calls++
    return { user: req.state.user }
  })
  app.get('/public', () => 'open')
  return { app, calls: () => calls }
}

test('basicAuth: valid credentials pass and set req.state.user', async () => {
  const { app } = protectedApp()
  const res = await app.request('/admin/me', { headers: { authorization: `Basic ${b64('alice:s3cret')}` } })
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { user: 'alice' })
  // The password may contain colons and non-ASCII; only the first colon splits.
  const res2 = await app.request('/admin/me', { headers: { authorization: `basic ${b64('bob:pä:ss')}` } })
  assert.equal(res2.status, 200)
  assert.deepEqual(await res2.json(), { user: 'bob' })
})

test('basicAuth: missing or wrong credentials get 401 with the challenge', async () => {
  const { app, calls } = protectedApp({ users: { alice: 's3cret' }, realm: 'Admin "area"' })
  for (const authorization of [undefined, `Basic ${b64('alice:wrong')}`, `Basic ${b64('mallory:s3cret')}`, `Basic ${b64('alice:s3cret ')}`]) {
    const res = await app.request('/admin/me', { headers: authorization === undefined ? {} : { authorization } })
    assert.equal(res.status, 401, String(authorization))
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="Admin \\"area\\"", charset="UTF-8"')
  }
  assert.equal(calls(), 0)
  assert.equal((await app.request('/public')).status, 200, 'other prefixes are not protected')
})

test('basicAuth: malformed Authorization headers are 401, never 500', async () => {
  const { app, calls } = protectedApp()
  const hostile = [
    '',
    'Basic',
    'Basic ',
    'Basic    ',
    'Basicx ' + b64('alice:s3cret'),
    'Bearer ' + b64('alice:s3cret'),
    'Basic ' + b64('alice'), // no colon
    'Basic ' + b64(':'), // empty user and password
    'Basic !!!!',
    'Basic ' + b64('alice:s3cret') + '!', // trailing garbage Buffer.from would skip
    'Basic ' + b64('alice:s3cret').replace(/=+$/, '') + '===',
    'Basic a',
    'Basic ' + b64('alice:s3\0cret'),
    'Basic ' + b64('alice:s3cret\n'),
    'Basic ' + Buffer.from([0xff, 0xfe, 0x3a, 0x80]).toString('base64'), // invalid UTF-8
    'Basic ' + 'A'.repeat(100_000),
    'Basic ' + b64('__proto__:x'),
    'Basic ' + b64('constructor:x'),
    'Basic ' + b64('toString:'),
  ]
  for (const authorization of hostile) {
    const res = await app.request('/admin/me', { headers: { authorization } })
    assert.equal(res.status, 401, JSON.stringify(authorization.slice(0, 60)))
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="Restricted"/)
  }
  assert.equal(calls(), 0)
})

test('basicAuth: verify callback gets user, password and request; may be async', async () => {
  const seen: string[] = []
  const { app } = protectedApp({
    verify: async (user, password, req) => {
      seen.push(`${user}/${password}/${req.path}`)
      return user === 'carol' && password === 'pw'
    },
  })
  assert.equal((await app.request('/admin/me', { headers: { authorization: `Basic ${b64('carol:pw')}` } })).status, 200)
  assert.equal((await app.request('/admin/me', { headers: { authorization: `Basic ${b64('carol:nope')}` } })).status, 401)
  assert.deepEqual(seen, ['carol/pw//admin/me', 'carol/nope//admin/me'])
})

test('basicAuth: a verify callback returning a truthy non-boolean does not authenticate', async () => {
  const { app } = protectedApp({ verify: (() => 'yes') as unknown as () => boolean })
  assert.equal((await app.request('/admin/me', { headers: { authorization: `Basic ${b64('a:b')}` } })).status, 401)
})

test('basicAuth: credentials with control characters never reach verify (RFC 7617 2)', async () => {
  let called = 0
  const { app } = protectedApp({
    verify: () => {
      called++
      return true
    },
  })
  for (const pair of ['al\0ice:pw', 'alice:p\nw', 'alice:pw\x7f', 'alice\t:pw']) {
    const res = await app.request('/admin/me', { headers: { authorization: `Basic ${b64(pair)}` } })
    assert.equal(res.status, 401, JSON.stringify(pair))
  }
  assert.equal(called, 0)
  assert.equal((await app.request('/admin/me', { headers: { authorization: `Basic ${b64('alice:pw')}` } })).status, 200)
  assert.equal(called, 1)
})

test('basicAuth: bad options are refused up front', () => {
  assert.throws(() => basicAuth({} as never), /users.*verify/)
  assert.throws(() => basicAuth({ users: {}, realm: 'a\r\nb' }), /control characters/)
})

test('basicAuth: over a real socket', async () => {
  const { app } = protectedApp()
  await withServer(app, async (server) => {
    const denied = await request(`${server.url}/admin/me`)
    assert.equal(denied.statusCode, 401)
    assert.equal(denied.headers['www-authenticate'], 'Basic realm="Restricted", charset="UTF-8"')
    await denied.body.dump()
    const ok = await request(`${server.url}/admin/me`, { headers: { authorization: `Basic ${b64('alice:s3cret')}` } })
    assert.equal(ok.statusCode, 200)
    assert.deepEqual(await ok.body.json(), { user: 'alice' })
  })
})
