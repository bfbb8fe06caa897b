// res.push(): server push declared on the response, made by the HTTP/2 engine before the
// response's HEADERS; ignored over HTTP/1.1 and by clients that disabled push.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { request as httpRequest } from 'node:http'
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2'
import { App, Response, html } from 'weft'
import { compress } from 'weft/middleware'
import { peer } from '../helpers/peers.ts'
import { within } from '../helpers/wait.ts'
import { h2connect, h2request, run, withH2 } from './helpers.ts'

const nghttpPeer = peer('nghttp', ['--version'])

const PAGE = `<!doctype html><link rel=stylesheet href=/style.css>${'<p>page</p>'.repeat(200)}`

function app(): App {
  const a = new App({ logErrors: false })
  a.use(compress())
  a.get('/page', () => html(PAGE).push('/style.css').push('/lang', { headers: { 'accept-language': 'fr' } }))
  a.get('/style.css', () => new Response('body { color: teal }', { headers: { 'content-type': 'text/css' } }))
  a.get('/lang', (req) => `lang ${req.header('accept-language') ?? '-'}`)
  a.get('/plain', () => 'nothing pushed')
  return a
}

interface Pushed {
  path: string
  body: string
}

/** Requests `path` and collects the pushes that come with it, noting what arrived first. */
async function withPushes(session: ClientHttp2Session, path: string): Promise<{ status: number; body: string; pushed: Pushed[]; order: string[] }> {
  const order: string[] = []
  const pushed: Array<Promise<Pushed>> = []
  const onPush = (stream: ClientHttp2Stream, headers: IncomingHttpHeaders): void => {
    const p = String(headers[':path'])
    order.push(`promise ${p}`)
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    pushed.push(once(stream, 'end').then(() => ({ path: p, body: Buffer.concat(chunks).toString() })))
  }
  session.on('stream', onPush)
  try {
    const stream = session.request({ ':path': path, 'accept-encoding': 'identity' })
    stream.on('response', () => order.push('response'))
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    const [headers] = (await within(once(stream, 'response'), 5000, 'the response')) as [IncomingHttpHeaders]
    await within(once(stream, 'end'), 5000, 'the response body')
    return { status: Number(headers[':status']), body: Buffer.concat(chunks).toString(), pushed: await within(Promise.all(pushed), 5000, 'the pushed streams'), order }
  } finally {
    session.off('stream', onPush)
  }
}

test('res.push(): the pushed streams arrive with their bodies, promised before the response', async () => {
  await withH2(app(), false, async (server) => {
    const session = await h2connect(server)
    const res = await withPushes(session, '/page')
    assert.equal(res.status, 200)
    assert.equal(res.body, PAGE)
    assert.deepEqual(res.order, ['promise /style.css', 'promise /lang', 'response'])
    assert.deepEqual(
      res.pushed.sort((x, y) => x.path.localeCompare(y.path)),
      [
        { path: '/lang', body: 'lang fr' },
        { path: '/style.css', body: 'body { color: teal }' },
      ],
    )
    // A response without pushes sends none.
    const plain = await withPushes(session, '/plain')
    assert.deepEqual([plain.body, plain.pushed], ['nothing pushed', []])
    session.close()
  })
})

test('res.push() survives middleware that keeps the response (compress) and is skipped for HEAD', async () => {
  await withH2(app(), false, async (server) => {
    const session = await h2connect(server)
    const order: string[] = []
    session.on('stream', (_stream: ClientHttp2Stream, headers: IncomingHttpHeaders) => order.push(String(headers[':path'])))
    const gz = await h2request(session, { ':path': '/page', 'accept-encoding': 'gzip' })
    assert.equal(gz.headers['content-encoding'], 'gzip')
    assert.deepEqual(order, ['/style.css', '/lang'])
    order.length = 0
    const head = await h2request(session, { ':method': 'HEAD', ':path': '/page' })
    assert.deepEqual([head.status, head.body, order], [200, '', []])
    session.close()
  })
})

test('res.push() with push disabled by the client: the response alone, no error', async () => {
  await withH2(app(), true, async (server) => {
    const session = await h2connect(server, { settings: { enablePush: false } })
    let promised = 0
    session.on('stream', () => promised++)
    const res = await h2request(session, { ':path': '/page', 'accept-encoding': 'identity' })
    assert.deepEqual([res.status, res.body, promised], [200, PAGE, 0])
    session.close()
  })
})

test('res.push() over HTTP/1.1: the response is unaffected', async () => {
  await withH2(app(), false, async (server) => {
    const res = await within(
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ port: server.port, host: '127.0.0.1', path: '/page', agent: false }, (r) => {
          let body = ''
          r.setEncoding('utf8')
          r.on('data', (c: string) => (body += c))
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }))
        })
        req.on('error', reject)
        req.end()
      }),
      5000,
      'the HTTP/1.1 answer',
    )
    assert.deepEqual(res, { status: 200, body: PAGE })
  })
})

test('res.push(): chainable, nothing recorded until used, paths only', () => {
  const res = new Response('x')
  assert.equal(res.pushes, null)
  assert.equal(res.push('/a.css'), res)
  assert.deepEqual(res.pushes, [{ path: '/a.css', options: undefined }])
  assert.throws(() => res.push('https://example.com/a.css'), TypeError)
  assert.throws(() => res.push('a.css'), TypeError)
})

test('nghttp: PUSH_PROMISE frames for res.push(), before the response HEADERS', nghttpPeer, async () => {
  await withH2(app(), false, async (server) => {
    const out = await run('nghttp', ['-nv', `${server.url}/page`])
    assert.equal(out.code, 0, out.stderr)
    const promises = [...out.stdout.matchAll(/recv PUSH_PROMISE frame/g)]
    assert.equal(promises.length, 2)
    assert.match(out.stdout, /:path: \/style\.css/)
    // nghttp opens idle streams for priorities first; the request is its one HEADERS frame.
    const id = /send HEADERS frame <[^>]*stream_id=(\d+)>/.exec(out.stdout)?.[1]
    const response = new RegExp(`recv HEADERS frame <[^>]*stream_id=${id}>`).exec(out.stdout)
    assert.ok(response !== null, 'the response HEADERS')
    assert.ok(promises[0]!.index! < response.index, 'PUSH_PROMISE precedes the response HEADERS')
  })
})
