import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { App, HttpError } from 'weft'
import { requestId } from 'weft/middleware'
import { withServer } from './socket.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function idApp(options?: Parameters<typeof requestId>[0]): App {
  const app = new App({ logErrors: false })
  app.use(requestId(options))
  app.get('/', (req) => ({ id: req.state.requestId }))
  app.get('/boom', () => {
    throw new HttpError(418, 'teapot')
  })
  return app
}

test('requestId: generates a UUID, stores it and sends it back', async () => {
  const app = idApp()
  const a = await app.request('/')
  const b = await app.request('/')
  const idA = a.headers.get('x-request-id')
  assert.match(idA ?? '', UUID)
  assert.deepEqual(await a.json(), { id: idA })
  assert.notEqual(b.headers.get('x-request-id'), idA)
})

test('requestId: reuses a sane incoming id', async () => {
  const app = idApp()
  const id = 'req-42_abc.DEF:~!'
  const res = await app.request('/', { headers: { 'x-request-id': id } })
  assert.equal(res.headers.get('x-request-id'), id)
  assert.deepEqual(await res.json(), { id })
  const longest = 'x'.repeat(200)
  assert.equal((await app.request('/', { headers: { 'x-request-id': longest } })).headers.get('x-request-id'), longest)
})

test('requestId: hostile incoming ids are replaced, not echoed', async () => {
  const app = idApp()
  const hostile = ['', ' ', 'x'.repeat(201), 'x'.repeat(100_000), 'has space', 'tab\there', 'new\nline', 'cr\rlf', 'nul\0', 'ünïcode', 'del\x7f', '<script>alert(1)</script> x']
  for (const id of hostile) {
    const res = await app.request('/', { headers: { 'x-request-id': id } })
    assert.equal(res.status, 200, JSON.stringify(id.slice(0, 20)))
    const sent = res.headers.get('x-request-id')
    assert.match(sent ?? '', UUID, JSON.stringify(id.slice(0, 20)))
    assert.deepEqual(await res.json(), { id: sent })
  }
  // A repeated header is not one id.
  const twice = await app.request('/', { headers: [['x-request-id', 'a'], ['x-request-id', 'b']] })
  assert.match(twice.headers.get('x-request-id') ?? '', UUID)
})

test('requestId: trustIncoming: false always generates', async () => {
  const res = await idApp({ trustIncoming: false }).request('/', { headers: { 'x-request-id': 'mine' } })
  assert.match(res.headers.get('x-request-id') ?? '', UUID)
})

test('requestId: custom header name, counter and function generators', async () => {
  const counter = idApp({ header: 'Trace-Id', generate: 'counter' })
  const one = (await counter.request('/')).headers.get('trace-id') ?? ''
  const two = (await counter.request('/')).headers.get('trace-id') ?? ''
  assert.match(one, /^[0-9a-f]{12}-1$/)
  assert.equal(two, one.replace(/-1$/, '-2'))
  assert.equal((await counter.request('/', { headers: { 'trace-id': 'up-7' } })).headers.get('trace-id'), 'up-7')
  let n = 0
  const custom = idApp({ generate: () => `id${++n}` })
  assert.equal((await custom.request('/')).headers.get('x-request-id'), 'id1')
  assert.throws(() => requestId({ header: 'bad header' }), /invalid header name/)
  assert.throws(() => requestId({ generate: 'nope' as never }), /unknown generate/)
})

test('requestId: error responses carry the id too', async () => {
  const res = await idApp().request('/boom', { headers: { 'x-request-id': 'err-1' } })
  assert.equal(res.status, 418)
  assert.equal(res.headers.get('x-request-id'), 'err-1')
  const missing = await idApp().request('/no-such-route')
  assert.equal(missing.status, 404)
  assert.match(missing.headers.get('x-request-id') ?? '', UUID)
})

test('requestId: over a real socket', async () => {
  await withServer(idApp(), async (server) => {
    const echoed = await request(`${server.url}/`, { headers: { 'x-request-id': 'sock-1' } })
    assert.equal(echoed.headers['x-request-id'], 'sock-1')
    assert.deepEqual(await echoed.body.json(), { id: 'sock-1' })
    const fresh = await request(`${server.url}/`, { headers: { 'x-request-id': 'x'.repeat(300) } })
    assert.match(String(fresh.headers['x-request-id']), UUID)
    await fresh.body.dump()
  })
})
