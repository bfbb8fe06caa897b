import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { serve, type App, type InjectInit } from 'weft'
import { createApp, type User } from '../../examples/rest_api.ts'
import { get, startExample } from './spawn.ts'

const LIMIT = 1024 * 1024
const JSON_HEADERS = { 'content-type': 'application/json' }

/** Sends a request through the app, JSON-encoding `body` unless it is already a string. */
function call(app: App, method: string, path: string, body?: unknown, headers: Record<string, string> = JSON_HEADERS): Promise<globalThis.Response> {
  const init: InjectInit = { method, headers }
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body)
  return app.request(path, init)
}

async function expectError(res: globalThis.Response, status: number, pattern?: RegExp): Promise<string> {
  assert.equal(res.status, status)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  const body = (await res.json()) as { error?: unknown }
  assert.equal(typeof body.error, 'string', `error body: ${JSON.stringify(body)}`)
  if (pattern) assert.match(body.error as string, pattern)
  return body.error as string
}

async function create(app: App, name = 'Ada', email = 'ada@example.com'): Promise<User> {
  const res = await call(app, 'POST', '/users', { name, email })
  assert.equal(res.status, 201)
  return (await res.json()) as User
}

test('GET /users starts as an empty JSON array', async () => {
  const res = await call(createApp(), 'GET', '/users')
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  assert.deepEqual(await res.json(), [])
})

test('POST /users creates a user: 201, id, Location that resolves to it', async () => {
  const app = createApp()
  const res = await call(app, 'POST', '/users', { name: 'Ada', email: 'ada@example.com' })
  assert.equal(res.status, 201)
  const user = (await res.json()) as User
  assert.equal(typeof user.id, 'string')
  assert.notEqual(user.id, '')
  assert.deepEqual({ name: user.name, email: user.email }, { name: 'Ada', email: 'ada@example.com' })
  const location = res.headers.get('location')
  assert.equal(location, `/users/${user.id}`)
  const again = await call(app, 'GET', location!)
  assert.equal(again.status, 200)
  assert.deepEqual(await again.json(), user)
  const list = await call(app, 'GET', '/users')
  assert.deepEqual(await list.json(), [user])
})

test('ids are distinct, and listing keeps creation order', async () => {
  const app = createApp()
  const a = await create(app, 'A', 'a@example.com')
  const b = await create(app, 'B', 'b@example.com')
  assert.notEqual(a.id, b.id)
  assert.deepEqual(await (await call(app, 'GET', '/users')).json(), [a, b])
})

test('a content type with parameters is still JSON', async () => {
  const res = await call(createApp(), 'POST', '/users', { name: 'Ada', email: 'ada@example.com' }, { 'content-type': 'Application/JSON; charset=utf-8' })
  assert.equal(res.status, 201)
})

test('PUT /users/:id answers 200 with the updated user and stores it', async () => {
  const app = createApp()
  const user = await create(app)
  const res = await call(app, 'PUT', `/users/${user.id}`, { name: 'Grace', email: 'grace@example.com' })
  assert.equal(res.status, 200)
  const updated = { id: user.id, name: 'Grace', email: 'grace@example.com' }
  assert.deepEqual(await res.json(), updated)
  assert.deepEqual(await (await call(app, 'GET', `/users/${user.id}`)).json(), updated)
})

test('DELETE /users/:id answers 204 with no body; the user is gone', async () => {
  const app = createApp()
  const user = await create(app)
  const res = await call(app, 'DELETE', `/users/${user.id}`)
  assert.equal(res.status, 204)
  assert.equal(await res.text(), '')
  await expectError(await call(app, 'GET', `/users/${user.id}`), 404)
  await expectError(await call(app, 'DELETE', `/users/${user.id}`), 404)
  assert.deepEqual(await (await call(app, 'GET', '/users')).json(), [])
})

test('an unknown id is a 404 with a JSON error, for every method', async () => {
  const app = createApp()
  await create(app)
  await expectError(await call(app, 'GET', '/users/999'), 404, /999/)
  await expectError(await call(app, 'PUT', '/users/999', { name: 'X', email: 'x@example.com' }), 404)
  await expectError(await call(app, 'DELETE', '/users/999'), 404)
})

test('invalid JSON is a 400 with a JSON error', async () => {
  const app = createApp()
  await expectError(await call(app, 'POST', '/users', '{"name": "Ada",'), 400, /JSON/)
  const user = await create(app)
  await expectError(await call(app, 'PUT', `/users/${user.id}`, 'nope'), 400, /JSON/)
  await expectError(await call(app, 'POST', '/users', ''), 400)
})

test('a body that is not a JSON object is a 400', async () => {
  const app = createApp()
  for (const body of ['[]', '[{"name":"Ada","email":"ada@example.com"}]', 'null', '"Ada"', '42', 'true']) {
    await expectError(await call(app, 'POST', '/users', body), 400, /object/)
  }
  assert.deepEqual(await (await call(app, 'GET', '/users')).json(), [])
})

test('a missing or invalid field is a 422', async () => {
  const app = createApp()
  const cases: Array<[unknown, RegExp]> = [
    [{}, /name/],
    [{ email: 'ada@example.com' }, /name/],
    [{ name: '', email: 'ada@example.com' }, /name/],
    [{ name: '   ', email: 'ada@example.com' }, /name/],
    [{ name: 42, email: 'ada@example.com' }, /name/],
    [{ name: 'Ada' }, /email/],
    [{ name: 'Ada', email: 'not an email' }, /email/],
    [{ name: 'Ada', email: ['ada@example.com'] }, /email/],
  ]
  for (const [body, pattern] of cases) await expectError(await call(app, 'POST', '/users', body), 422, pattern)
  const user = await create(app)
  await expectError(await call(app, 'PUT', `/users/${user.id}`, { name: 'Ada' }), 422, /email/)
  assert.deepEqual(await (await call(app, 'GET', `/users/${user.id}`)).json(), user, 'a refused PUT changes nothing')
})

test('a body that is not application/json is a 415', async () => {
  const app = createApp()
  const body = { name: 'Ada', email: 'ada@example.com' }
  await expectError(await call(app, 'POST', '/users', body, { 'content-type': 'text/plain' }), 415)
  await expectError(await call(app, 'POST', '/users', body, { 'content-type': 'application/x-www-form-urlencoded' }), 415)
  await expectError(await call(app, 'POST', '/users', body, {}), 415)
  const user = await create(app)
  await expectError(await call(app, 'PUT', `/users/${user.id}`, body, { 'content-type': 'text/json' }), 415)
})

test('a body over 1 MiB is a 413, whether declared or streamed; exactly 1 MiB is accepted', async () => {
  const app = createApp()
  // A valid user padded to an exact size, so only the size can be the reason for a refusal.
  const sized = (bytes: number): string => {
    const head = '{"name":"Ada","email":"ada@example.com","pad":"'
    return head + 'x'.repeat(bytes - head.length - 2) + '"}'
  }
  assert.equal(Buffer.byteLength(sized(LIMIT)), LIMIT)
  await expectError(await call(app, 'POST', '/users', sized(LIMIT + 1)), 413)

  // No Content-Length: the limit is enforced while the chunks arrive.
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const body = Buffer.from(sized(LIMIT + 1))
    for (let i = 0; i < body.length; i += 64 * 1024) yield body.subarray(i, i + 64 * 1024)
  }
  const streamed = await app.request('/users', { method: 'POST', headers: JSON_HEADERS, body: chunks() })
  await expectError(streamed, 413)

  assert.deepEqual(await (await call(app, 'GET', '/users')).json(), [])
  const ok = await call(app, 'POST', '/users', sized(LIMIT))
  assert.equal(ok.status, 201)
})

test('an unknown path is a 404 with a JSON error (trailing slashes included)', async () => {
  const app = createApp()
  await expectError(await call(app, 'GET', '/nope'), 404)
  await expectError(await call(app, 'GET', '/users/'), 404)
  await expectError(await call(app, 'POST', '/users/1/friends', {}), 404)
})

test('a wrong method is a 405 with Allow and a JSON error', async () => {
  const app = createApp()
  const res = await call(app, 'DELETE', '/users')
  await expectError(res, 405)
  assert.equal(res.headers.get('allow'), 'GET, HEAD, OPTIONS, POST')
  const one = await call(app, 'PATCH', '/users/1', { name: 'X' })
  await expectError(one, 405)
  assert.equal(one.headers.get('allow'), 'DELETE, GET, HEAD, OPTIONS, PUT')
})

test('OPTIONS lists the methods; HEAD mirrors GET without a body', async () => {
  const app = createApp()
  await create(app)
  const options = await call(app, 'OPTIONS', '/users')
  assert.equal(options.status, 204)
  assert.equal(options.headers.get('allow'), 'GET, HEAD, OPTIONS, POST')
  const got = await call(app, 'GET', '/users')
  const head = await call(app, 'HEAD', '/users')
  assert.equal(head.status, 200)
  assert.equal(await head.text(), '')
  assert.equal(head.headers.get('content-length'), got.headers.get('content-length'))
  assert.equal(head.headers.get('content-length'), String((await got.arrayBuffer()).byteLength))
})

/** node:http, for the 413 case: headers go out, the oversized body never does. */
function declareOversized(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/users`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(LIMIT + 1) }, timeout: 5_000 })
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')))
    req.on('error', reject)
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (s: string) => (body += s))
      res.on('end', () => {
        req.destroy()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
      })
      res.on('error', reject)
    })
    req.flushHeaders()
  })
}

test('over a real socket: create, read, update, list, delete and the errors', { timeout: 30_000 }, async () => {
  const server = await serve(createApp(), { port: 0 })
  try {
    const base = server.url
    const post = (body: string, type = 'application/json'): Promise<globalThis.Response> =>
      get(`${base}/users`, { method: 'POST', headers: { 'content-type': type }, body })

    const created = await post(JSON.stringify({ name: 'Ada', email: 'ada@example.com' }))
    assert.equal(created.status, 201)
    const user = (await created.json()) as User
    assert.equal(created.headers.get('location'), `/users/${user.id}`)

    const one = await get(`${base}/users/${user.id}`)
    assert.deepEqual(await one.json(), user)

    const put = await get(`${base}/users/${user.id}`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ name: 'Grace', email: 'grace@example.com' }) })
    assert.equal(put.status, 200)
    assert.equal(((await put.json()) as User).name, 'Grace')

    const head = await get(`${base}/users`, { method: 'HEAD' })
    const list = await get(`${base}/users`)
    const listBytes = Buffer.from(await list.arrayBuffer())
    assert.deepEqual(JSON.parse(listBytes.toString()), [{ ...user, name: 'Grace', email: 'grace@example.com' }])
    assert.equal(head.headers.get('content-length'), String(listBytes.length))

    await expectError(await post('{oops'), 400)
    await expectError(await post('[1]'), 400)
    await expectError(await post('{"name":"Ada"}'), 422)
    await expectError(await post('{"name":"Ada","email":"a@b"}', 'text/plain'), 415)
    await expectError(await get(`${base}/nope`), 404)
    const wrong = await get(`${base}/users`, { method: 'DELETE' })
    await expectError(wrong, 405)
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD, OPTIONS, POST')

    const big = await declareOversized(base)
    assert.equal(big.status, 413)
    assert.match(String(big.headers.connection), /\bclose\b/)
    assert.equal(typeof (JSON.parse(big.body) as { error?: unknown }).error, 'string')

    const del = await get(`${base}/users/${user.id}`, { method: 'DELETE' })
    assert.equal(del.status, 204)
    await expectError(await get(`${base}/users/${user.id}`), 404)
  } finally {
    await server.close({ timeout: 1_000 })
  }
})

test('examples/rest_api.ts run as a program: listens on PORT, serves, exits cleanly on SIGTERM', { timeout: 60_000 }, async () => {
  const example = await startExample('rest_api')
  try {
    assert.ok(example.port > 0)
    const created = await get(`${example.url}/users`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })
    assert.equal(created.status, 201)
    const location = created.headers.get('location')!
    assert.equal(((await (await get(example.url + location)).json()) as User).name, 'Ada')
  } finally {
    const exit = await example.stop()
    assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${example.stderr()}`)
  }
  assert.equal(example.stdout().match(/listening on /g)?.length, 1, 'one "listening on" line')
})
