import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { App, serve, text } from 'weft'

test('HEAD is answered by the GET route: same status and headers, no body', async () => {
  const app = new App()
  const methods: string[] = []
  app.get('/doc', (req) => {
    methods.push(req.method)
    return text('twelve bytes', { status: 203, headers: { 'x-custom': 'kept' } })
  })
  const get = await app.request('/doc')
  const head = await app.request('/doc', { method: 'HEAD' })
  assert.equal(head.status, 203)
  assert.equal(head.headers.get('x-custom'), 'kept')
  assert.equal(head.headers.get('content-type'), get.headers.get('content-type'))
  assert.equal(head.headers.get('content-length'), '12')
  assert.equal(get.headers.get('content-length'), '12')
  assert.equal(await head.text(), '')
  assert.equal(await get.text(), 'twelve bytes')
  assert.deepEqual(methods, ['GET', 'HEAD'], 'the handler can tell HEAD from GET')
})

test('an explicit HEAD route wins over the GET fallback', async () => {
  const app = new App()
  app.get('/r', () => 'from get')
  app.head('/r', () => text('', { headers: { 'x-from': 'head' } }))
  const res = await app.request('/r', { method: 'HEAD' })
  assert.equal(res.headers.get('x-from'), 'head')
})

test('HEAD over a socket: same Content-Length as GET, no body bytes', { timeout: 15_000 }, async () => {
  const app = new App()
  app.get('/doc', () => 'héllo wörld')
  app.get('/json', () => ({ a: [1, 2, 3] }))
  const server = await serve(app, { port: 0 })
  try {
    for (const path of ['/doc', '/json']) {
      const get = await raw(server.url + path, 'GET')
      const head = await raw(server.url + path, 'HEAD')
      assert.equal(head.status, 200)
      assert.equal(head.body.length, 0)
      assert.equal(head.headers['content-length'], String(get.body.length))
      assert.equal(head.headers['content-type'], get.headers['content-type'])
    }
  } finally {
    await server.close({ timeout: 1_000 })
  }
})

function raw(url: string, method: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, timeout: 5_000, agent: false }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (b: Buffer) => parts.push(b))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')))
    req.on('error', reject)
    req.end()
  })
}

test('OPTIONS is answered with 204 and Allow; an OPTIONS route takes over', async () => {
  const app = new App()
  app.get('/a', () => 'a')
  app.post('/a', () => 'a')
  app.delete('/a', () => 'a')
  const res = await app.request('/a', { method: 'OPTIONS' })
  assert.equal(res.status, 204)
  assert.equal(res.headers.get('allow'), 'DELETE, GET, HEAD, OPTIONS, POST')
  assert.equal(await res.text(), '')
  app.options('/a', () => text('custom', { headers: { allow: 'GET' } }))
  const custom = await app.request('/a', { method: 'OPTIONS' })
  assert.equal(custom.status, 200)
  assert.equal(await custom.text(), 'custom')
})

test('a known path with another method is a 405 with Allow; the list follows new routes', async () => {
  const app = new App()
  app.post('/items/:id', () => 'posted')
  let res = await app.request('/items/1')
  assert.equal(res.status, 405)
  assert.equal(res.headers.get('allow'), 'OPTIONS, POST')
  assert.equal(await res.text(), 'Method Not Allowed')
  app.put('/items/:id', () => 'put')
  app.get('/items/:id', () => 'got')
  res = await app.request('/items/1', { method: 'PATCH' })
  assert.equal(res.status, 405)
  assert.equal(res.headers.get('allow'), 'GET, HEAD, OPTIONS, POST, PUT')
  assert.equal((await app.request('/items/1')).status, 200)
  // A path that matches no route at all is a 404, whatever the method.
  assert.equal((await app.request('/elsewhere', { method: 'PATCH' })).status, 404)
})

test('app.all answers every method except OPTIONS; a specific method wins over it', async () => {
  const app = new App()
  app.all('/any', (req) => `all:${req.method}`)
  app.get('/any', () => 'get')
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'PURGE']) {
    assert.equal(await (await app.request('/any', { method })).text(), `all:${method}`)
  }
  assert.equal(await (await app.request('/any')).text(), 'get')
  const head = await app.request('/any', { method: 'HEAD' })
  assert.equal(head.status, 200)
  const options = await app.request('/any', { method: 'OPTIONS' })
  assert.equal(options.status, 204)
  assert.equal(options.headers.get('allow'), 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS')
})

test('app.on registers one handler for several methods, case-insensitively', async () => {
  const app = new App()
  app.on(['GET', 'post'], '/form', (req) => `form:${req.method}`)
  app.on('purge', '/cache', () => 'purged')
  assert.equal(await (await app.request('/form')).text(), 'form:GET')
  assert.equal(await (await app.request('/form', { method: 'POST' })).text(), 'form:POST')
  assert.equal((await app.request('/form', { method: 'PUT' })).status, 405)
  assert.equal(await (await app.request('/cache', { method: 'PURGE' })).text(), 'purged')
  assert.throws(() => app.on('BAD METHOD', '/x', () => 'x'), /invalid method/)
  assert.throws(() => app.on(['GET', ''], '/y', () => 'y'), /invalid method/)
  assert.equal((await app.request('/y')).status, 404, 'a refused list registers nothing')
})

test('every method helper registers its method', async () => {
  const app = new App()
  app.get('/m', () => 'GET').post('/m', () => 'POST').put('/m', () => 'PUT')
  app.patch('/m', () => 'PATCH').delete('/m', () => 'DELETE')
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
    assert.equal(await (await app.request('/m', { method })).text(), method)
  }
})

test('bad patterns and repeated routes throw where they are added', async () => {
  const app = new App()
  app.get('/a/:x', () => 'x')
  assert.throws(() => app.get('no-slash', () => 'x'), /must start/)
  assert.throws(() => app.get('/a/*rest/b', () => 'x'), /wildcard/)
  assert.throws(() => app.get('/a/:x', () => 'again'), /already defined: GET \/a\/:x/)
  assert.throws(() => app.on(['POST', 'GET'], '/a/:x', () => 'again'), /already defined/)
  // Nothing half-registered: POST was refused with the GET it came with.
  assert.equal((await app.request('/a/1', { method: 'POST' })).status, 405)
  // Same slot under another parameter name: known only once the table is built.
  app.get('/a/:y', () => 'y')
  await assert.rejects(app.request('/a/1'), /already defined/)
})
