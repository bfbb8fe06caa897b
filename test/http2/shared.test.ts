// One set of behaviours, four ways in: HTTP/1.1 and HTTP/2, each over cleartext and TLS, against
// the same server (HTTP/2 is on, so each port serves both). What a handler sees and what a
// client gets must not depend on the protocol.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { gunzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { App, json, type Server } from 'weft'
import { bodyLimit, compress } from 'weft/middleware'
import { caPem, h2connect, withH2 } from './helpers.ts'
import { within } from '../helpers/wait.ts'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}
type Send = (method: string, path: string, headers?: Record<string, string>, body?: string) => Promise<Answer>

const PUBLIC = fileURLToPath(new URL('../../examples/public/', import.meta.url))

function app(): App {
  const a = new App({ logErrors: false })
  a.use(async (req, next) => {
    const res = await next()
    res.headers.set('x-seen-by', 'outer')
    return res
  })
  a.use('/gz', compress({ threshold: 0 }))
  a.get('/users/:id', (req) => ({ id: req.params.id, q: req.query.get('q'), host: req.host, proto: req.protocol }))
  a.post('/echo', async (req) => json({ got: await req.json(), type: req.header('content-type') }, { status: 201 }))
  a.post('/small', bodyLimit(10), async (req) => (await req.text()).length)
  a.get('/stream', async function* () {
    for (let i = 0; i < 50; i++) yield `line ${i}\n`
  })
  a.get('/empty', () => null)
  a.get('/cookie', (req) => json({ cookies: req.cookies }).cookie('a', '1', { path: '/' }).cookie('b', '2', { path: '/' }))
  a.get('/gz/text', () => 'compress me '.repeat(200))
  a.get('/headers', (req) => ({ pseudo: Object.keys(req.headers).filter((h) => h.startsWith(':')), custom: req.header('x-custom') }))
  a.static('/site', PUBLIC)
  return a
}

function h1sender(server: Server): Send {
  const secure = server.url.startsWith('https:')
  return (method, path, headers = {}, body) =>
    within(
      new Promise<Answer>((resolve, reject) => {
        const options = { host: '127.0.0.1', port: server.port, path, method, headers, agent: false, ca: caPem(), servername: 'localhost' }
        const req = (secure ? httpsRequest : httpRequest)(options, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        })
        req.on('error', reject)
        req.end(body)
      }),
      5000,
      `${method} ${path}`,
    )
}

async function h2sender(server: Server): Promise<{ send: Send; close: () => void }> {
  const session = await h2connect(server)
  const send: Send = (method, path, headers = {}, body) =>
    within(
      new Promise<Answer>((resolve, reject) => {
        const stream = session.request({ ':method': method, ':path': path, ...headers }, { endStream: body === undefined })
        if (body !== undefined) stream.end(body)
        let h: IncomingHttpHeaders = {}
        const chunks: Buffer[] = []
        stream.on('response', (r) => (h = r as IncomingHttpHeaders))
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => resolve({ status: Number(h[':status']), headers: h, body: Buffer.concat(chunks) }))
        stream.on('error', reject)
      }),
      5000,
      `${method} ${path}`,
    )
  return { send, close: () => session.close() }
}

async function behaviours(send: Send, secure: boolean): Promise<void> {
  const user = await send('GET', '/users/42?q=x')
  assert.equal(user.status, 200)
  assert.equal(user.headers['x-seen-by'], 'outer')
  const u = JSON.parse(user.body.toString()) as { id: string; q: string; host: string; proto: string }
  assert.equal(u.id, '42')
  assert.equal(u.q, 'x')
  assert.match(u.host, /^(localhost|127\.0\.0\.1):\d+$/)
  assert.equal(u.proto, secure ? 'https' : 'http')

  const echo = await send('POST', '/echo', { 'content-type': 'application/json' }, '{"a":[1,2]}')
  assert.equal(echo.status, 201)
  assert.deepEqual(JSON.parse(echo.body.toString()), { got: { a: [1, 2] }, type: 'application/json' })

  const tooBig = await send('POST', '/small', { 'content-type': 'text/plain' }, 'x'.repeat(100))
  assert.equal(tooBig.status, 413)

  const stream = await send('GET', '/stream')
  assert.equal(stream.body.toString().split('\n').length, 51)

  const head = await send('HEAD', '/users/7')
  assert.equal(head.status, 200)
  assert.equal(head.body.length, 0)
  assert.equal(head.headers['content-length'], String(JSON.stringify({ id: '7', q: null, host: u.host, proto: u.proto }).length))

  const empty = await send('GET', '/empty')
  assert.equal(empty.status, 204)
  assert.equal(empty.body.length, 0)

  const missing = await send('GET', '/nope')
  assert.equal(missing.status, 404)

  const cookie = await send('GET', '/cookie', { cookie: 'x=1; y=2' })
  assert.deepEqual(JSON.parse(cookie.body.toString()), { cookies: { x: '1', y: '2' } })
  assert.deepEqual(cookie.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/'])

  const gz = await send('GET', '/gz/text', { 'accept-encoding': 'gzip' })
  assert.equal(gz.headers['content-encoding'], 'gzip')
  assert.equal(gunzipSync(gz.body).toString(), 'compress me '.repeat(200))

  const headers = await send('GET', '/headers', { 'x-custom': 'yes' })
  assert.deepEqual(JSON.parse(headers.body.toString()), { pseudo: [], custom: 'yes' })

  // Static files: ETag, a conditional 304 without a body, and a range.
  const css = await send('GET', '/site/style.css')
  assert.equal(css.status, 200)
  assert.match(String(css.headers['content-type']), /^text\/css/)
  const etag = String(css.headers.etag)
  const again = await send('GET', '/site/style.css', { 'if-none-match': etag })
  assert.equal(again.status, 304)
  assert.equal(again.body.length, 0)
  const part = await send('GET', '/site/style.css', { range: 'bytes=0-9' })
  assert.equal(part.status, 206)
  assert.equal(part.body.toString(), css.body.subarray(0, 10).toString())
}

for (const secure of [false, true]) {
  describe(`the same app over ${secure ? 'TLS' : 'cleartext'}`, () => {
    test('HTTP/1.1', async () => {
      await withH2(app(), secure, async (server) => {
        await behaviours(h1sender(server), secure)
      })
    })
    test('HTTP/2', async () => {
      await withH2(app(), secure, async (server) => {
        const { send, close } = await h2sender(server)
        try {
          await behaviours(send, secure)
        } finally {
          close()
        }
      })
    })
  })
}
