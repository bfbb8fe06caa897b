import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { request } from 'undici'
import { App, Response } from 'weft'
import { logger, requestId } from 'weft/middleware'
import { withServer } from './socket.ts'

const TEXT_LINE = /^(\S+) (\S+) (\d{3}) (\d+B|-) (\d+\.\d)ms$/

function loggedApp(format?: 'text' | 'json'): { app: App; lines: string[] } {
  const lines: string[] = []
  const app = new App({ logErrors: false })
  app.use(logger({ format, sink: (line) => lines.push(line) }))
  app.get('/users/:id', (req) => ({ id: req.params.id }))
  app.get('/text', () => 'héllo')
  app.get('/empty', () => null)
  app.get('/sized', () => new Response(Readable.from([Buffer.from('abc')]), { headers: { 'content-length': '3' } }))
  app.get('/stream', () =>
    (async function* () {
      for (let i = 0; i < 3; i++) yield `chunk${i};`
    })(),
  )
  app.get('/boom', () => {
    throw new Error('kaput')
  })
  return { app, lines }
}

test('logger: text lines carry method, path, status, bytes and duration', async () => {
  const { app, lines } = loggedApp()
  await app.request('/users/1?secret=1')
  await app.request('/text')
  await app.request('/empty')
  await app.request('/nowhere')
  await app.request('/boom')
  await app.request('/users/1', { method: 'POST' })
  assert.equal(lines.length, 6)
  const parsed = lines.map((l) => {
    const m = TEXT_LINE.exec(l)
    assert.ok(m, l)
    return m.slice(1, 5).join(' ')
  })
  assert.deepEqual(parsed, [
    'GET /users/1 200 10B', // {"id":"1"}; the query string is left out
    'GET /text 200 6B', // bytes, not characters
    'GET /empty 204 0B',
    'GET /nowhere 404 9B',
    'GET /boom 500 21B',
    'POST /users/1 405 18B',
  ])
})

test('logger: json lines, with the request id when there is one', async () => {
  const { app, lines } = loggedApp('json')
  await app.request('/users/7')
  const withId = new App()
  withId.use(logger({ format: 'json', sink: (l) => lines.push(l) }), requestId())
  withId.get('/', () => 'ok')
  const res = await withId.request('/', { headers: { 'x-request-id': 'abc-1' } })
  assert.equal(lines.length, 2)
  const first = JSON.parse(lines[0]!) as Record<string, unknown>
  assert.equal(typeof first.ms, 'number')
  assert.ok((first.ms as number) >= 0)
  delete first.ms
  assert.deepEqual(first, { method: 'GET', path: '/users/7', status: 200, bytes: 10 })
  const second = JSON.parse(lines[1]!) as Record<string, unknown>
  delete second.ms
  assert.deepEqual(second, { method: 'GET', path: '/', status: 200, bytes: 2, requestId: 'abc-1' })
  assert.equal(res.headers.get('x-request-id'), 'abc-1')
})

test('logger: hostile values cannot forge fields or lines', async () => {
  const lines: string[] = []
  const app = new App()
  app.use(requestId(), logger({ format: 'json', sink: (l) => lines.push(l) }))
  app.get('/*', () => 'ok')
  // Visible ASCII, so requestId() accepts it; JSON encoding must keep it inside its field.
  const forged = '","status":999,"x":"'
  await app.request('/a"b\\c', { headers: { 'x-request-id': forged } })
  assert.equal(lines.length, 1)
  const entry = JSON.parse(lines[0]!) as Record<string, unknown>
  assert.equal(entry.status, 200)
  assert.equal(entry.requestId, forged)
  assert.equal(entry.x, undefined)

  // A request target with a space or newline (refused by node:http, but not by every engine).
  const textLines: string[] = []
  const log = logger({ sink: (l) => textLines.push(l) })
  const fakeReq = { method: 'GET', path: '/a b\n200 GET /forged', state: {}, headers: {} }
  await log(fakeReq as never, async () => new Response('x'))
  assert.equal(textLines.length, 1)
  assert.match(textLines[0]!, /^GET \/a%20b%0A200%20GET%20\/forged 200 1B \d+\.\dms$/)
})

test('logger: a streamed body is logged as "-" and still sent whole', async () => {
  const { app, lines } = loggedApp()
  const res = await app.request('/stream')
  assert.equal(await res.text(), 'chunk0;chunk1;chunk2;')
  const sized = await app.request('/sized')
  assert.equal(await sized.text(), 'abc')
  assert.match(lines[0]!, /^GET \/stream 200 - /)
  assert.match(lines[1]!, /^GET \/sized 200 3B /, 'Content-Length is used when a stream declares it')
})

test('logger: HEAD is logged with 0 bytes', async () => {
  const { app, lines } = loggedApp()
  await app.request('/text', { method: 'HEAD' })
  assert.match(lines[0]!, /^HEAD \/text 200 0B /)
})

test('logger: a failing sink does not turn the response into an error', async () => {
  const app = new App({ logErrors: false })
  app.use(
    logger({
      sink: () => {
        throw new Error('disk full')
      },
    }),
  )
  app.get('/', () => 'fine')
  const warnings: Error[] = []
  const onWarning = (w: Error): void => {
    warnings.push(w)
  }
  process.on('warning', onWarning)
  try {
    const res = await app.request('/')
    assert.equal(res.status, 200)
    assert.equal(await res.text(), 'fine')
    await new Promise((r) => setImmediate(r))
  } finally {
    process.off('warning', onWarning)
  }
  assert.ok(warnings.some((w) => w.message === 'disk full'))
})

test('logger: unknown format is refused', () => {
  assert.throws(() => logger({ format: 'xml' as never }), /unknown format/)
})

test('logger: over a real socket, a long stream keeps flowing', async () => {
  const { app, lines } = loggedApp()
  const big = Buffer.alloc(64 * 1024, 97)
  app.get('/big', () =>
    (async function* () {
      for (let i = 0; i < 64; i++) yield big // 4 MiB: more than socket buffers hold
    })(),
  )
  await withServer(app, async (server) => {
    const res = await request(`${server.url}/big`)
    assert.equal(res.statusCode, 200)
    let total = 0
    for await (const chunk of res.body) total += (chunk as Buffer).length
    assert.equal(total, 64 * big.length)
    const small = await request(`${server.url}/users/5`)
    assert.deepEqual(await small.body.json(), { id: '5' })
  })
  assert.match(lines[0]!, /^GET \/big 200 - \d+\.\dms$/)
  assert.match(lines[1]!, /^GET \/users\/5 200 10B \d+\.\dms$/)
})
