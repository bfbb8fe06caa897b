import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { App, json, type Request } from 'weft'

/** An app whose one route describes the request it received. */
function echoApp(): App {
  const app = new App()
  app.all('/echo', async (req: Request) =>
    json({
      method: req.method,
      url: req.url,
      path: req.path,
      query: Object.fromEntries(req.query),
      type: req.header('content-type') ?? null,
      custom: req.header('x-custom') ?? null,
      length: req.header('content-length') ?? null,
      body: await req.text(),
      ip: req.ip,
      protocol: req.protocol,
      host: req.host,
    }),
  )
  return app
}

interface Echo {
  method: string
  url: string
  path: string
  query: Record<string, string>
  type: string | null
  custom: string | null
  length: string | null
  body: string
  ip: string
  protocol: string
  host: string
}

test('app.request: a path with a query, defaults for the rest', async () => {
  const res = await echoApp().request('/echo?a=1&b=two%20words')
  assert.equal(res.status, 200)
  const echo = (await res.json()) as Echo
  assert.equal(echo.method, 'GET')
  assert.equal(echo.url, '/echo?a=1&b=two%20words')
  assert.equal(echo.path, '/echo')
  assert.deepEqual(echo.query, { a: '1', b: 'two words' })
  assert.equal(echo.body, '')
  assert.equal(echo.ip, '127.0.0.1')
  assert.equal(echo.protocol, 'http')
  assert.equal(echo.host, 'localhost')
})

test('app.request: method, headers and a string body (with its Content-Length)', async () => {
  const res = await echoApp().request('/echo', { method: 'put', headers: { 'Content-Type': 'text/plain', 'X-Custom': 'v' }, body: 'héllo' })
  const echo = (await res.json()) as Echo
  assert.equal(echo.method, 'PUT')
  assert.equal(echo.type, 'text/plain')
  assert.equal(echo.custom, 'v')
  assert.equal(echo.body, 'héllo')
  assert.equal(echo.length, '6')
})

test('app.request: headers as Headers or as pairs; repeated names are joined', async () => {
  const app = echoApp()
  const fromHeaders = (await (await app.request('/echo', { headers: new Headers({ 'x-custom': 'h' }) })).json()) as Echo
  assert.equal(fromHeaders.custom, 'h')
  const pairs: Array<[string, string]> = [
    ['x-custom', 'one'],
    ['X-Custom', 'two'],
  ]
  const fromPairs = (await (await app.request('/echo', { headers: pairs })).json()) as Echo
  assert.equal(fromPairs.custom, 'one, two')
})

test('app.request: bodies as bytes, a web stream, a Node stream and an async iterable', async () => {
  const app = echoApp()
  const post = async (body: NonNullable<Parameters<App['request']>[1]>['body']): Promise<string> =>
    ((await (await app.request('/echo', { method: 'POST', body })).json()) as Echo).body
  assert.equal(await post(new TextEncoder().encode('bytes')), 'bytes')
  const web = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('web '))
      controller.enqueue(new TextEncoder().encode('stream'))
      controller.close()
    },
  })
  assert.equal(await post(web), 'web stream')
  assert.equal(await post(Readable.from([Buffer.from('node '), Buffer.from('stream')])), 'node stream')
  async function* gen(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('async ')
    yield Buffer.from('iterable')
  }
  assert.equal(await post(gen()), 'async iterable')
})

test('app.request: remoteAddress and an https URL reach req.ip and req.protocol', async () => {
  const res = await echoApp().request('https://api.example.com/echo', { remoteAddress: '203.0.113.9' })
  const echo = (await res.json()) as Echo
  assert.equal(echo.ip, '203.0.113.9')
  assert.equal(echo.protocol, 'https')
  assert.equal(echo.host, 'api.example.com')
})

test('app.request: HEAD has no body; 204 has no body', async () => {
  const app = new App()
  app.get('/x', () => 'content')
  app.get('/none', () => null)
  const head = await app.request('/x', { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.body, null)
  const none = await app.request('/none')
  assert.equal(none.status, 204)
  assert.equal(await none.text(), '')
})

test('app.request takes a web Request; its method, headers, body and signal carry over', async () => {
  const app = echoApp()
  const webRequest = new globalThis.Request('http://example.test/echo?x=1', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-custom': 'from-request' },
    body: '{"a":1}',
  })
  const echo = (await (await app.request(webRequest)).json()) as Echo
  assert.equal(echo.method, 'POST')
  assert.equal(echo.custom, 'from-request')
  assert.equal(echo.body, '{"a":1}')
  assert.deepEqual(echo.query, { x: '1' })
  assert.equal(echo.host, 'example.test')
})

test('app.fetch is a web-standard handler', async () => {
  const app = echoApp()
  const { fetch } = app // usable detached, as `export default { fetch }` needs
  const res = await fetch(new globalThis.Request('http://localhost/echo', { method: 'PATCH', body: 'patched' }))
  assert.ok(res instanceof globalThis.Response)
  const echo = (await res.json()) as Echo
  assert.equal(echo.method, 'PATCH')
  assert.equal(echo.body, 'patched')
  assert.equal((await fetch(new globalThis.Request('http://localhost/missing'))).status, 404)
})

test('the request signal reaches the handler', async () => {
  const app = new App()
  app.get('/s', (req) => ({ aborted: req.signal.aborted }))
  const controller = new AbortController()
  assert.deepEqual(await (await app.request('/s', { signal: controller.signal })).json(), { aborted: false })
  controller.abort()
  assert.deepEqual(await (await app.request('/s', { signal: controller.signal })).json(), { aborted: true })
})

test('streamed handler results come back as a streamed web body', async () => {
  const app = new App()
  app.get('/gen', async function* () {
    yield 'a'
    yield new TextEncoder().encode('b')
    yield 'c'
  })
  app.get('/web', () => new globalThis.Response('web body', { status: 201, headers: { 'x-web': '1' } }))
  assert.equal(await (await app.request('/gen')).text(), 'abc')
  const web = await app.request('/web')
  assert.equal(web.status, 201)
  assert.equal(web.headers.get('x-web'), '1')
  assert.equal(await web.text(), 'web body')
})

test('a body can be read once; bytes() and text() share it', async () => {
  const app = new App()
  app.post('/twice', async (req) => {
    const a = await req.text()
    const b = (await req.bytes()).toString()
    let streamed = 'not thrown'
    try {
      req.chunks()
    } catch (e) {
      streamed = (e as Error).message
    }
    return { a, b, used: req.bodyUsed, streamed }
  })
  const res = await app.request('/twice', { method: 'POST', body: 'once' })
  assert.deepEqual(await res.json(), { a: 'once', b: 'once', used: true, streamed: 'the request body has already been read' })
})
