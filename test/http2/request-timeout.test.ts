// requestTimeout per HTTP/2 stream: a request body that does not arrive in time is answered 408
// (or the stream reset, once the response has begun), without harming the session.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import { App, HttpError, type Request } from 'weft'
import { deferred, within } from '../helpers/wait.ts'
import { constants, h2connect, h2request, withH2 } from './helpers.ts'

const SHORT = { requestTimeout: 200 }

/** The node:http2 stream under a request (the engine's transport keeps it). */
function serverStream(req: Request): ServerHttp2Stream {
  return (req.transport as unknown as { stream: ServerHttp2Stream }).stream
}

interface Stalled {
  stream: ClientHttp2Stream
  status: Promise<number>
  body: Promise<string>
  /** The RST_STREAM code the stream closed with. */
  closed: Promise<number>
}

/** Opens a POST, sends part of its body and never finishes it. */
function stalledPost(session: ClientHttp2Session, path: string): Stalled {
  const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'text/plain' })
  stream.on('error', () => {})
  stream.write('the first part of a body that never ends')
  const status = (once(stream, 'response') as Promise<[IncomingHttpHeaders]>).then(([h]) => Number(h[':status']))
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  const body = once(stream, 'end').then(() => Buffer.concat(chunks).toString())
  const closed = once(stream, 'close').then(() => stream.rstCode ?? -1)
  return { stream, status, body, closed }
}

test('a POST whose body stalls gets 408; req.signal aborts, the body read rejects, the session carries on', async () => {
  const aborted = deferred<unknown>()
  const readError = deferred<unknown>()
  const a = new App({ logErrors: false })
  a.post('/upload', async (req) => {
    req.signal.addEventListener('abort', () => aborted.resolve(req.signal.reason))
    try {
      return `read ${(await req.text()).length}`
    } catch (error) {
      readError.resolve(error)
      throw error
    }
  })
  a.get('/ok', () => 'still here')
  await withH2(
    a,
    false,
    async (server) => {
      const session = await h2connect(server)
      const post = stalledPost(session, '/upload')
      assert.equal(await within(post.status, 5000, 'the 408'), 408)
      assert.equal(await within(post.body, 5000, 'the 408 body'), 'Request Timeout\n')
      // RST_STREAM(NO_ERROR) after the answer: stop sending, keep the response (RFC 9113 §8.1).
      assert.equal(await within(post.closed, 5000, 'the stream to close'), constants.NGHTTP2_NO_ERROR)
      const reason = await within(aborted.promise, 5000, 'req.signal to abort')
      assert.ok(reason instanceof HttpError && reason.status === 408, `signal reason: ${String(reason)}`)
      const error = await within(readError.promise, 5000, 'the body read to reject')
      assert.ok(error instanceof HttpError && error.status === 408, `read error: ${String(error)}`)
      assert.equal(session.destroyed, false)
      assert.equal((await h2request(session, { ':path': '/ok' })).body, 'still here')
      session.close()
    },
    SHORT,
  )
})

test('a handler that never asked for req.signal sees it aborted when it looks after the timeout', async () => {
  const signal = deferred<AbortSignal>()
  const a = new App({ logErrors: false })
  a.post('/late', async (req) => {
    await new Promise((r) => setTimeout(r, 400))
    signal.resolve(req.signal)
    return 'too late'
  })
  await withH2(
    a,
    false,
    async (server) => {
      const session = await h2connect(server)
      const post = stalledPost(session, '/late')
      assert.equal(await within(post.status, 5000, 'the 408'), 408)
      const s = await within(signal.promise, 5000, 'the handler to finish')
      assert.equal(s.aborted, true)
      assert.equal((s.reason as HttpError).status, 408)
      session.close()
    },
    SHORT,
  )
})

test('a response already streaming when the body stalls: the stream is reset, the session carries on', async () => {
  const aborted = deferred<unknown>()
  const stopped = deferred()
  const a = new App({ logErrors: false })
  a.post('/echo', (req) => {
    req.signal.addEventListener('abort', () => aborted.resolve(req.signal.reason))
    return (async function* () {
      try {
        yield 'started\n'
        // Waits for a body that never ends.
        for await (const chunk of req.chunks()) yield chunk
      } finally {
        stopped.resolve()
      }
    })()
  })
  a.get('/ok', () => 'still here')
  await withH2(
    a,
    false,
    async (server) => {
      const session = await h2connect(server)
      const post = stalledPost(session, '/echo')
      assert.equal(await within(post.status, 5000, 'the response headers'), 200)
      assert.equal(await within(post.closed, 5000, 'the stream to be reset'), constants.NGHTTP2_CANCEL)
      const reason = await within(aborted.promise, 5000, 'req.signal to abort')
      assert.ok(reason instanceof HttpError && reason.status === 408)
      await within(stopped.promise, 5000, 'the response body to be closed')
      assert.equal(session.destroyed, false)
      assert.equal((await h2request(session, { ':path': '/ok' })).body, 'still here')
      session.close()
    },
    // The reset is the server's own: it must not count against the client's reset budget.
    { ...SHORT, http2: { maxResets: 0 } },
  )
})

test('a body that arrives in time is unaffected, whenever the handler reads it', async () => {
  const a = new App({ logErrors: false })
  // Reads at once, then works past the timeout: the timer was cleared when the body ended.
  a.post('/read-then-wait', async (req) => {
    const body = await req.text()
    await new Promise((r) => setTimeout(r, 400))
    return `got ${body}`
  })
  // Reads only after the timeout: the body had arrived whole, so the client was not late.
  a.post('/wait-then-read', async (req) => {
    await new Promise((r) => setTimeout(r, 400))
    return `got ${await req.text()}`
  })
  await withH2(
    a,
    false,
    async (server) => {
      const session = await h2connect(server)
      const first = await h2request(session, { ':method': 'POST', ':path': '/read-then-wait' }, 'hello')
      assert.deepEqual([first.status, first.body], [200, 'got hello'])
      const second = await h2request(session, { ':method': 'POST', ':path': '/wait-then-read' }, 'world')
      assert.deepEqual([second.status, second.body], [200, 'got world'])
      session.close()
    },
    SHORT,
  )
})

test('a GET gets no timer: a handler slower than requestTimeout still answers', async () => {
  let endListeners = -1
  const a = new App({ logErrors: false })
  a.get('/slow', async (req) => {
    endListeners = serverStream(req).listenerCount('end')
    await new Promise((r) => setTimeout(r, 400))
    return 'slow but fine'
  })
  await withH2(
    a,
    false,
    async (server) => {
      const session = await h2connect(server)
      const res = await h2request(session, { ':path': '/slow' })
      assert.deepEqual([res.status, res.body], [200, 'slow but fine'])
      assert.equal(endListeners, 0, 'nothing armed for a stream without a body')
      session.close()
    },
    SHORT,
  )
})

test('requestTimeout: 0 leaves a stalled body alone', async () => {
  const a = new App({ logErrors: false })
  a.post('/upload', async (req) => `read ${(await req.text()).length}`)
  await withH2(
    a,
    false,
    async (server) => {
      const session = await h2connect(server)
      const post = stalledPost(session, '/upload')
      let answered = false
      void post.status.then(() => (answered = true))
      await new Promise((r) => setTimeout(r, 400))
      assert.equal(answered, false)
      post.stream.end('!')
      assert.equal(await within(post.status, 5000, 'the answer'), 200)
      assert.equal(await within(post.body, 5000, 'the body'), 'read 41')
      session.close()
    },
    { requestTimeout: 0 },
  )
})

test('a client that will not take even the 408 (closed window) is reset after sendTimeout', async () => {
  const a = new App({ logErrors: false })
  a.post('/upload', async (req) => `read ${(await req.text()).length}`)
  a.get('/ok', () => 'still here')
  await withH2(
    a,
    false,
    async (server) => {
      // A window of 0 lets HEADERS through but no DATA: the 408's body can never be sent.
      const session = await h2connect(server, { settings: { initialWindowSize: 0 } })
      const post = stalledPost(session, '/upload')
      assert.equal(await within(post.status, 5000, 'the 408 headers'), 408)
      assert.equal(await within(post.closed, 5000, 'the stream to be reset'), constants.NGHTTP2_CANCEL)
      assert.equal(session.destroyed, false)
      session.settings({ initialWindowSize: 65_535 })
      assert.equal((await h2request(session, { ':path': '/ok' })).body, 'still here')
      session.close()
    },
    { ...SHORT, sendTimeout: 300 },
  )
})
