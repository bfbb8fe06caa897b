// HTTP/2 stream behaviour through a node:http2 client: resets, graceful close, settings,
// backpressure, early hints, req.tls and certificate reloads.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { App, text, type Request } from 'weft'
import { deferred, within } from '../helpers/wait.ts'
import { FIXTURES, TLS, constants, goawayCode, h2connect, h2request, withH2 } from './helpers.ts'

test('a stream reset by the client aborts req.signal and stops the streamed body', async () => {
  const aborted = deferred<string>()
  const stopped = deferred()
  const a = new App({ logErrors: false })
  let produced = 0
  a.get('/forever', (req: Request) => {
    req.signal.addEventListener('abort', () => aborted.resolve(String((req.signal.reason as Error).message)))
    return (async function* () {
      try {
        for (;;) {
          produced++
          yield 'x'.repeat(1024)
          await new Promise((r) => setTimeout(r, 5))
        }
      } finally {
        stopped.resolve()
      }
    })()
  })
  a.get('/ok', () => 'still here')
  await withH2(a, false, async (server) => {
    const session = await h2connect(server)
    const stream = session.request({ ':path': '/forever' })
    stream.on('error', () => {})
    await within(once(stream, 'data'), 5000, 'the first chunk')
    stream.close(constants.NGHTTP2_CANCEL)
    assert.equal(await within(aborted.promise, 5000, 'req.signal to abort'), 'client disconnected')
    await within(stopped.promise, 5000, 'the generator to be closed')
    const before = produced
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(produced, before, 'nothing produced after the reset')
    // The session itself is fine: the next stream is answered.
    assert.equal((await h2request(session, { ':path': '/ok' })).body, 'still here')
    session.close()
  })
})

test('close() sends GOAWAY, lets streams in flight finish, refuses new ones, then resolves', async () => {
  const started = deferred()
  const release = deferred()
  const a = new App({ logErrors: false })
  a.get('/slow', async () => {
    started.resolve()
    await release.promise
    return 'finished'
  })
  const { serve } = await import('weft')
  const server = await serve(a, { port: 0, http2: true })
  const session = await h2connect(server)
  const inflight = h2request(session, { ':path': '/slow' })
  await within(started.promise, 5000, 'the handler to start')
  const goaway = goawayCode(session)
  const closed = server.close({ timeout: 5000 })
  assert.equal(await goaway, constants.NGHTTP2_NO_ERROR)
  let closedYet = false
  void closed.then(() => (closedYet = true))
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(closedYet, false, 'close() waits for the stream in flight')
  release.resolve()
  const res = await inflight
  assert.equal(res.status, 200)
  assert.equal(res.body, 'finished')
  await within(closed, 5000, 'close() to resolve')
  await within(session.destroyed ? Promise.resolve() : new Promise<void>((r) => session.once('close', () => r())), 5000, 'the client session to end')
  // A new connection is refused: the listener is closed.
  await assert.rejects(h2connect(server))
})

test('close() destroys sessions whose streams outlast the timeout', async () => {
  const a = new App({ logErrors: false })
  a.get('/never', () => new Promise<string>(() => {}))
  const { serve } = await import('weft')
  const server = await serve(a, { port: 0, http2: true })
  const session = await h2connect(server)
  const stream = session.request({ ':path': '/never' })
  stream.on('error', () => {})
  await within(once(session, 'remoteSettings'), 5000, 'settings')
  await new Promise((r) => setTimeout(r, 20))
  await within(server.close({ timeout: 100 }), 5000, 'close() at its deadline')
  await within(once(session, 'close'), 5000, 'the client session to end')
})

test('settings: max concurrent streams (default 100), header-list size and window as configured', async () => {
  await withH2(() => 'ok', true, async (server) => {
    const session = await h2connect(server)
    const [settings] = (await within(once(session, 'remoteSettings'), 5000, 'settings')) as [{ maxConcurrentStreams: number; maxHeaderListSize: number; initialWindowSize: number }]
    assert.equal(settings.maxConcurrentStreams, 100)
    assert.equal(settings.maxHeaderListSize, 16 * 1024)
    session.close()
  })
  await withH2(
    () => 'ok',
    false,
    async (server) => {
      const session = await h2connect(server)
      const [settings] = (await within(once(session, 'remoteSettings'), 5000, 'settings')) as [{ maxConcurrentStreams: number; maxHeaderListSize: number; initialWindowSize: number }]
      assert.equal(settings.maxConcurrentStreams, 7)
      assert.equal(settings.initialWindowSize, 1 << 20)
      assert.equal(settings.maxHeaderListSize, 4096)
      session.close()
    },
    { http2: { maxConcurrentStreams: 7, initialWindowSize: 1 << 20, maxHeaderListSize: 4096 } },
  )
})

test('a client that does not read holds the producer back (flow control, backpressure)', async () => {
  let produced = 0
  const a = new App({ logErrors: false })
  a.get('/big', async function* () {
    for (let i = 0; i < 10_000; i++) {
      produced++
      yield Buffer.alloc(16 * 1024)
    }
  })
  await withH2(a, false, async (server) => {
    const session = await h2connect(server)
    const stream = session.request({ ':path': '/big' })
    stream.on('error', () => {})
    stream.pause()
    await within(once(stream, 'response'), 5000, 'the response headers')
    await new Promise((r) => setTimeout(r, 300))
    // 160 MB would be produced without backpressure; the window (64 KiB) and the stream's
    // buffer (16 KiB high-water mark) let only a handful of chunks out.
    assert.ok(produced < 50, `producer held back (${produced} chunks produced)`)
    stream.close(constants.NGHTTP2_CANCEL)
    session.close()
  })
})

test('a request body the handler ignores does not hold the session: the next request is answered', async () => {
  const a = new App({ logErrors: false })
  a.post('/ignore', () => 'ignored')
  a.get('/ok', () => 'ok')
  await withH2(a, false, async (server) => {
    const session = await h2connect(server)
    const stream = session.request({ ':method': 'POST', ':path': '/ignore' })
    stream.on('error', () => {})
    stream.write(Buffer.alloc(200 * 1024))
    const [headers] = (await within(once(stream, 'response'), 5000, 'the answer')) as [Record<string, unknown>]
    assert.equal(headers[':status'], 200)
    assert.equal((await h2request(session, { ':path': '/ok' })).body, 'ok')
    session.close()
  })
})

test('103 Early Hints over HTTP/2 and HTTP/1.1', async () => {
  const a = new App({ logErrors: false })
  a.get('/', (req) => {
    req.earlyHints({ link: ['</style.css>; rel=preload; as=style', '</app.js>; rel=preload; as=script'] })
    return 'page'
  })
  await withH2(a, false, async (server) => {
    const session = await h2connect(server)
    const stream = session.request({ ':path': '/' })
    const hints = within(once(stream, 'headers'), 5000, 'the 103') as Promise<[Record<string, string>]>
    const res = h2request(session, { ':path': '/' })
    const [h] = await hints
    assert.equal(h[':status'], 103)
    assert.equal(h.link, '</style.css>; rel=preload; as=style, </app.js>; rel=preload; as=script')
    assert.equal((await res).body, 'page')
    stream.close()
    session.close()

    const info = await within(
      new Promise<{ status: number; link: string; body: string }>((resolve, reject) => {
        let hint = { status: 0, link: '' }
        const req = httpRequest({ port: server.port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c))
          res.on('end', () => resolve({ ...hint, body }))
        })
        req.on('information', (i) => (hint = { status: i.statusCode, link: String(i.headers.link) }))
        req.on('error', reject)
        req.end()
      }),
      5000,
      'the HTTP/1.1 answer',
    )
    assert.deepEqual(info, { status: 103, link: '</style.css>; rel=preload; as=style, </app.js>; rel=preload; as=script', body: 'page' })
  })
})

test('req.tls shows protocol, cipher, ALPN and the client certificate (mutual TLS) on HTTP/2', async () => {
  const a = new App({ logErrors: false })
  a.get('/', (req) => {
    const t = req.tls
    return { protocol: t?.protocol, alpn: t?.alpn, cipher: typeof t?.cipher, cn: t?.peerCertificate?.subject.CN ?? null, authorized: t?.authorized }
  })
  await withH2(
    a,
    true,
    async (server) => {
      const session = await h2connect(server, { cert: readFileSync(`${FIXTURES}client.pem`), key: readFileSync(`${FIXTURES}client.key`) })
      const res = await h2request(session, { ':path': '/' })
      const info = JSON.parse(res.body) as Record<string, unknown>
      assert.equal(info.protocol, 'TLSv1.3')
      assert.equal(info.alpn, 'h2')
      assert.equal(info.cipher, 'string')
      assert.equal(info.authorized, true)
      assert.match(String(info.cn), /client/)
      session.close()
      const anonymous = await h2connect(server)
      assert.equal((JSON.parse((await h2request(anonymous, { ':path': '/' })).body) as { cn: unknown }).cn, null)
      anonymous.close()
    },
    { tls: { ...TLS, ca: `${FIXTURES}ca.pem`, requestCert: true } },
  )
})

test('req.tls still answers after the client has gone (the session is destroyed, the handler runs on)', async () => {
  const seen = deferred<unknown>()
  const a = new App({ logErrors: false })
  a.get('/late', async (req: Request) => {
    await new Promise((r) => req.signal.addEventListener('abort', r))
    // By now node has unbound the session from its socket; reading through that would throw.
    await new Promise((r) => setTimeout(r, 50))
    try {
      seen.resolve(req.tls)
    } catch (error) {
      seen.resolve(error)
    }
    return 'too late'
  })
  await withH2(a, true, async (server) => {
    const session = await h2connect(server)
    const stream = session.request({ ':path': '/late' })
    stream.on('error', () => {})
    await new Promise((r) => setTimeout(r, 50))
    session.destroy()
    const info = await within(seen.promise, 5000, 'the handler to read req.tls')
    assert.ok(!(info instanceof Error), `req.tls threw: ${String(info)}`)
    assert.equal((info as { alpn: string }).alpn, 'h2')
  })
})

test('a response object sent again: each answer gets a Date, and the object keeps none', async () => {
  const shared = text('same object')
  const a = new App()
  a.get('/shared', () => shared)
  await withH2(a, false, async (server) => {
    const session = await h2connect(server)
    for (let i = 0; i < 2; i++) {
      const answer = await h2request(session, { ':path': '/shared' })
      assert.equal(answer.body, 'same object')
      assert.match(String(answer.headers.date), / GMT$/)
      assert.equal(answer.headers['content-length'], '11')
      assert.equal(shared.headers.get('date'), undefined, 'no Date left on the response object')
    }
    session.close()
  })
})

test('server.setCertificates: new handshakes get the new certificate; a bad one throws and changes nothing', async () => {
  await withH2(
    (req) => req.tls?.servername ?? '-',
    true,
    async (server) => {
      const { connect } = await import('node:tls')
      const subject = (): Promise<string> =>
        new Promise((resolve, reject) => {
          const s = connect({ port: server.port, host: '127.0.0.1', servername: 'localhost', ca: readFileSync(`${FIXTURES}ca.pem`), rejectUnauthorized: false }, () => {
            resolve(String(s.getPeerCertificate().subject.CN))
            s.end()
          })
          s.on('error', reject)
        })
      assert.equal(await subject(), 'localhost')
      server.setCertificates({ cert: `${FIXTURES}a.weft.test.pem`, key: `${FIXTURES}a.weft.test.key` })
      assert.equal(await subject(), 'a.weft.test')
      assert.throws(() => server.setCertificates({ cert: `${FIXTURES}a.weft.test.pem`, key: `${FIXTURES}b.weft.test.key` }))
      assert.equal(await subject(), 'a.weft.test')
    },
  )
  const { serve } = await import('weft')
  const plain = await serve(() => 'x', { port: 0 })
  assert.throws(() => plain.setCertificates(TLS), /without `tls`/)
  assert.equal(plain.node, plain.h1)
  assert.equal(plain.h2, null)
  await plain.close()
})
