// Streamed responses: backpressure against a slow reader, client disconnects, producer errors,
// HEAD on streaming routes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { App, type Request } from 'weft'
import { withServer } from '../helpers/server.ts'
import { RawClient, delay, get, parseResponse } from '../helpers/raw.ts'
import { within } from '../helpers/wait.ts'

const CHUNK = Buffer.alloc(16 * 1024, 0x61)
const TOTAL = 2000 // 32 MiB in all: far more than the socket buffers on both ends can hold

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** Waits until `read()` stops changing (settled for `quiet` ms), within a bounded number of polls. */
async function settle(read: () => number, quiet = 250, maxPolls = 80): Promise<number> {
  let last = read()
  let still = 0
  for (let i = 0; i < maxPolls && still < quiet; i++) {
    await delay(50)
    const now = read()
    if (now === last) still += 50
    else {
      still = 0
      last = now
    }
  }
  return last
}

type Producer = { produced: number; done: boolean }

const producers: Record<string, (p: Producer) => unknown> = {
  'async generator': (p) =>
    (async function* () {
      for (let i = 0; i < TOTAL; i++) {
        p.produced++
        yield CHUNK
      }
      p.done = true
    })(),
  'Node Readable': (p) =>
    new Readable({
      read() {
        if (p.produced === TOTAL) {
          p.done = true
          this.push(null)
          return
        }
        p.produced++
        this.push(CHUNK)
      },
    }),
  'web ReadableStream': (p) =>
    new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (p.produced === TOTAL) {
            p.done = true
            controller.close()
            return
          }
          p.produced++
          controller.enqueue(CHUNK)
        },
      },
      { highWaterMark: 1 },
    ),
}

for (const [kind, make] of Object.entries(producers)) {
  test(`backpressure: a paused reader holds back the producer (${kind})`, async () => {
    const p: Producer = { produced: 0, done: false }
    const app = new App({ logErrors: false })
    app.get('/big', () => make(p) as never)
    await withServer(app, async (server) => {
      const socket: Socket = connect({ port: server.port, host: '127.0.0.1' })
      let received = 0
      let tail = Buffer.alloc(0)
      const ended = new Promise<void>((resolve, reject) => {
        socket.on('end', resolve)
        socket.on('close', () => resolve())
        socket.on('error', reject)
      })
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length
        tail = Buffer.concat([tail, chunk]).subarray(-16)
      })
      try {
        await within(new Promise<void>((r) => socket.once('connect', () => r())), 2000, 'connect')
        socket.pause()
        socket.write('GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        // While the client reads nothing, production must stop once the buffers are full.
        const held = await settle(() => p.produced)
        assert.ok(held > 0, 'the producer started')
        assert.ok(held < TOTAL / 4, `the producer ran ahead of a paused client: ${held} of ${TOTAL} chunks`)
        assert.equal(p.done, false)
        assert.equal(received, 0)
        // Reading resumes production and the whole body arrives.
        socket.resume()
        await within(ended, 20_000, 'the end of the body')
        assert.equal(p.produced, TOTAL)
        assert.ok(received > TOTAL * CHUNK.length, `only ${received} bytes arrived`)
        assert.equal(tail.subarray(-7).toString(), '\r\n0\r\n\r\n', 'the chunked body ended cleanly')
      } finally {
        socket.destroy()
      }
    })
  })
}

test('a client that disconnects mid-stream aborts req.signal and runs the generator finally', async () => {
  const cleanedUp = deferred()
  const aborted = deferred()
  let yielded = 0
  const app = new App({ logErrors: false })
  app.get('/endless', (req: Request) => {
    req.signal.addEventListener('abort', () => aborted.resolve())
    return (async function* () {
      try {
        for (let i = 0; i < 100_000; i++) {
          yielded++
          yield `line ${i}\n`
          await delay(1)
        }
      } finally {
        cleanedUp.resolve()
      }
    })()
  })
  await withServer(app, async (server) => {
    const c = await RawClient.open(server.port)
    c.write('GET /endless HTTP/1.1\r\nHost: x\r\n\r\n')
    await c.waitFor(() => c.received > 200, 2000, 'some of the stream')
    c.destroy()
    await within(cleanedUp.promise, 2000, "the generator's finally")
    await within(aborted.promise, 2000, 'req.signal to abort')
    const after = yielded
    await delay(50)
    assert.equal(yielded, after, 'the generator stopped producing')
    assert.ok(yielded < 100_000)
  })
})

test('req.signal does not abort when the stream completes normally', async () => {
  let signal: AbortSignal | undefined
  const app = new App({ logErrors: false })
  app.get('/short', (req: Request) => {
    signal = req.signal
    return (async function* () {
      yield 'a'
      yield 'b'
    })()
  })
  await withServer(app, async (server) => {
    const c = await RawClient.open(server.port)
    try {
      c.write('GET /short HTTP/1.1\r\nHost: x\r\n\r\n')
      const r = await c.response()
      assert.equal(r.body.toString(), 'ab')
      c.destroy()
      await c.closed()
      await delay(30)
      assert.equal(signal?.aborted, false)
    } finally {
      c.destroy()
    }
  })
})

const failing: Record<string, () => unknown> = {
  'async generator': () =>
    (async function* () {
      yield 'first part;'
      await delay(5)
      throw new Error('producer failed')
    })(),
  'Node Readable': () => {
    let n = 0
    return new Readable({
      read() {
        if (n++ === 0) this.push('first part;')
        else setTimeout(() => this.destroy(new Error('producer failed')), 5)
      },
    })
  },
  'web ReadableStream': () => {
    let n = 0
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (n++ === 0) controller.enqueue(new TextEncoder().encode('first part;'))
        else {
          await delay(5)
          controller.error(new Error('producer failed'))
        }
      },
    })
  },
}

for (const [kind, make] of Object.entries(failing)) {
  test(`a producer that throws mid-stream cuts the connection (${kind})`, async () => {
    const app = new App({ logErrors: false })
    app.get('/fail', () => make() as never)
    app.get('/ok', () => 'ok')
    await withServer(app, async (server) => {
      const c = await RawClient.open(server.port)
      try {
        c.write('GET /fail HTTP/1.1\r\nHost: x\r\n\r\n')
        await c.closed()
        const got = c.pending()
        assert.match(got.toString(), /^HTTP\/1\.1 200 /)
        assert.match(got.toString(), /first part;/)
        // No terminating chunk: the client can tell the body is incomplete.
        assert.equal(parseResponse(got, false, false), 'incomplete')
        assert.ok(!got.toString().endsWith('0\r\n\r\n'))
      } finally {
        c.destroy()
      }
      assert.equal((await get(server.port, '/ok')).body.toString(), 'ok')
    })
  })
}

test('HEAD on a streaming GET route sends headers only and closes the iterator', async () => {
  let nextCalls = 0
  let returned = false
  let readableDestroyed = false
  const app = new App({ logErrors: false })
  app.get('/iter', () => {
    const iterable: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          nextCalls++
          return { done: false, value: 'data' }
        },
        return: async () => {
          returned = true
          return { done: true, value: undefined }
        },
      }),
    }
    return iterable
  })
  app.get('/readable', () => {
    const r = new Readable({ read() { this.push('data') } })
    r.on('close', () => (readableDestroyed = true))
    return r
  })
  await withServer(app, async (server) => {
    const c = await RawClient.open(server.port)
    try {
      c.write('HEAD /iter HTTP/1.1\r\nHost: x\r\n\r\n')
      const r = await c.response({ head: true })
      assert.equal(r.status, 200)
      // The connection carries nothing after the head: the next response parses cleanly.
      c.write('HEAD /readable HTTP/1.1\r\nHost: x\r\n\r\n')
      const r2 = await c.response({ head: true })
      assert.equal(r2.status, 200)
      c.write('GET /iter-missing HTTP/1.1\r\nHost: x\r\n\r\n')
      const r3 = await c.response()
      assert.equal(r3.status, 404)
      assert.equal(c.pending().length, 0)
      await c.waitFor(() => returned && readableDestroyed, 1000, 'the bodies to be released')
      assert.equal(nextCalls, 0, 'nothing was pulled from the iterator')
    } finally {
      c.destroy()
    }
  })
})

test('an HTTP/1.0 client gets a streamed body without chunked encoding, ended by the close', async () => {
  const app = new App({ logErrors: false })
  app.get('/gen', async function* () {
    yield 'alpha,'
    await delay(2)
    yield 'beta'
  })
  await withServer(app, async (server) => {
    const c = await RawClient.open(server.port)
    try {
      c.write('GET /gen HTTP/1.0\r\n\r\n')
      await c.closed()
      const text = c.pending().toString()
      assert.match(text, /^HTTP\/1\.1 200 /)
      assert.doesNotMatch(text, /transfer-encoding/i)
      assert.ok(text.endsWith('\r\n\r\nalpha,beta'), JSON.stringify(text))
    } finally {
      c.destroy()
    }
  })
})
