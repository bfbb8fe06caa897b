// Request body readers and the body size limit, over a real socket.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, DEFAULT_BODY_LIMIT, Response } from 'weft'
import { withServer } from '../helpers/server.ts'
import { RawClient, delay, get } from '../helpers/raw.ts'

function post(path: string, body: string | Buffer, headers = ''): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${b.length}\r\n${headers}\r\n`), b])
}

async function send(port: number, data: Buffer | string): Promise<{ status: number; body: string; headers: Record<string, string[]> }> {
  const c = await RawClient.open(port)
  try {
    c.write(data)
    const r = await c.response()
    return { status: r.status, body: r.body.toString(), headers: r.headers }
  } finally {
    c.destroy()
  }
}

function readers(options: ConstructorParameters<typeof App>[0] = {}): App {
  const app = new App({ logErrors: false, ...options })
  app.post('/text', async (req) => `text:${await req.text()}`)
  app.post('/json', async (req) => ({ got: await req.json() }))
  app.post('/bytes', async (req) => {
    const b = await req.bytes()
    const again = await req.bytes()
    return { length: b.length, same: b === again, first: b[0], last: b[b.length - 1] }
  })
  app.post('/form', async (req) => Object.fromEntries(await req.form()))
  app.post('/chunks', async (req) => {
    let n = 0
    let size = 0
    for await (const chunk of req.chunks()) {
      n++
      size += chunk.byteLength
    }
    return { n: n > 0, size }
  })
  app.post('/stream', async (req) => {
    const reader = req.body.getReader()
    let size = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
    }
    return { size }
  })
  app.post('/twice', async (req) => {
    await req.text()
    req.chunks()
    return 'unreachable'
  })
  return app
}

test('body readers: text, json, bytes, form, chunks, body stream', async (t) => {
  await withServer(readers(), async (server) => {
    const port = server.port
    await t.test('text (UTF-8)', async () => {
      const r = await send(port, post('/text', 'héllo wörld'))
      assert.equal(r.status, 200)
      assert.equal(r.body, 'text:héllo wörld')
    })
    await t.test('text with no body is empty', async () => {
      const r = await send(port, 'POST /text HTTP/1.1\r\nHost: x\r\n\r\n')
      assert.equal(r.body, 'text:')
    })
    await t.test('json', async () => {
      const r = await send(port, post('/json', '{"a":[1,2,{"b":null}]}', 'Content-Type: application/json\r\n'))
      assert.deepEqual(JSON.parse(r.body), { got: { a: [1, 2, { b: null }] } })
    })
    await t.test('invalid JSON → 400 with a clear message', async () => {
      const r = await send(port, post('/json', '{"a":', 'Content-Type: application/json\r\n'))
      assert.equal(r.status, 400)
      assert.match(r.body, /^Invalid JSON body: /)
      const empty = await send(port, 'POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')
      assert.equal(empty.status, 400)
      assert.match(empty.body, /Invalid JSON body/)
    })
    await t.test('bytes are exact and cached', async () => {
      const payload = Buffer.alloc(300_000)
      for (let i = 0; i < payload.length; i++) payload[i] = i % 251
      const r = await send(port, post('/bytes', payload))
      assert.deepEqual(JSON.parse(r.body), { length: 300_000, same: true, first: 0, last: (300_000 - 1) % 251 })
    })
    await t.test('form (urlencoded, with a charset parameter)', async () => {
      const r = await send(port, post('/form', 'a=1&b=two+words&c=%C3%A9', 'Content-Type: Application/X-WWW-Form-Urlencoded; charset=utf-8\r\n'))
      assert.deepEqual(JSON.parse(r.body), { a: '1', b: 'two words', c: 'é' })
    })
    await t.test('form with the wrong content type → 415', async () => {
      const r = await send(port, post('/form', 'a=1', 'Content-Type: application/json\r\n'))
      assert.equal(r.status, 415)
      assert.match(r.body, /x-www-form-urlencoded/)
      const none = await send(port, post('/form', 'a=1'))
      assert.equal(none.status, 415)
    })
    await t.test('chunks of a chunked upload', async () => {
      const c = await RawClient.open(port)
      try {
        c.write('POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
        for (let i = 0; i < 5; i++) {
          c.write('400\r\n' + 'x'.repeat(0x400) + '\r\n')
          await delay(5)
        }
        c.write('0\r\n\r\n')
        const r = await c.response()
        assert.deepEqual(JSON.parse(r.body.toString()), { n: true, size: 5 * 1024 })
      } finally {
        c.destroy()
      }
    })
    await t.test('req.body as a web ReadableStream', async () => {
      const r = await send(port, post('/stream', Buffer.alloc(70_000, 1)))
      assert.deepEqual(JSON.parse(r.body), { size: 70_000 })
    })
    await t.test('reading the body twice is an error (500)', async () => {
      const r = await send(port, post('/twice', 'x'))
      assert.equal(r.status, 500)
    })
  })
})

/** An app whose handler counts every body byte it is given before the limit stops it. */
function counting(options: ConstructorParameters<typeof App>[0]): { app: App; seen: { bytes: number; calls: number } } {
  const seen = { bytes: 0, calls: 0 }
  const app = new App({ logErrors: false, ...options })
  app.post('/upload', async (req) => {
    seen.calls++
    for await (const chunk of req.chunks()) seen.bytes += chunk.byteLength
    return `got ${seen.bytes}`
  })
  app.post('/text', async (req) => (await req.text()).length)
  app.get('/ok', () => 'ok')
  return { app, seen }
}

test('413 decided from Content-Length before any byte is read, and the connection closes', async () => {
  const { app, seen } = counting({ bodyLimit: 1024 })
  await withServer(app, async (server) => {
    const c = await RawClient.open(server.port)
    try {
      // Only the head is sent: the answer must not wait for a body that never comes.
      c.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n')
      const r = await c.response()
      assert.equal(r.status, 413)
      assert.match(r.body.toString(), /limit of 1024 bytes/)
      assert.equal(r.header('connection'), 'close')
      await c.closed()
      assert.equal(seen.calls, 1)
      assert.equal(seen.bytes, 0, 'the handler never got body data')
    } finally {
      c.destroy()
    }
    // Exactly at the limit is fine.
    const c2 = await RawClient.open(server.port)
    try {
      c2.write(post('/text', 'y'.repeat(1024)))
      const ok = await c2.response()
      assert.equal(ok.status, 200)
      assert.equal(ok.body.toString(), '1024')
    } finally {
      c2.destroy()
    }
  })
})

test('the default limit is 1 MiB', async () => {
  assert.equal(DEFAULT_BODY_LIMIT, 1024 * 1024)
  const { app, seen } = counting({})
  await withServer(app, async (server) => {
    const c = await RawClient.open(server.port)
    try {
      c.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024 + 1}\r\n\r\n`)
      const r = await c.response()
      assert.equal(r.status, 413)
      await c.closed()
      assert.equal(seen.bytes, 0)
    } finally {
      c.destroy()
    }
    const c2 = await RawClient.open(server.port)
    try {
      c2.write(post('/text', Buffer.alloc(1024 * 1024, 0x61)))
      const r = await c2.response({ timeout: 5000 })
      assert.equal(r.status, 200)
      assert.equal(r.body.toString(), String(1024 * 1024))
    } finally {
      c2.destroy()
    }
  })
})

test('413 while reading a chunked body that crosses the limit; the connection closes', async () => {
  const { app, seen } = counting({ bodyLimit: 1000 })
  await withServer(app, async (server) => {
    const c = await RawClient.open(server.port)
    try {
      c.write('POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
      c.write('258\r\n' + 'a'.repeat(600) + '\r\n')
      await delay(20)
      c.write('258\r\n' + 'b'.repeat(600) + '\r\n')
      const r = await c.response()
      assert.equal(r.status, 413)
      assert.equal(r.header('connection'), 'close')
      await c.closed()
      assert.ok(seen.bytes <= 1000, `the handler saw ${seen.bytes} bytes, more than the limit`)
    } finally {
      c.destroy()
    }
    // A later request on a new connection is served normally.
    assert.equal((await get(server.port, '/ok')).body.toString(), 'ok')
  })
})

test('an unread small body does not break keep-alive', async () => {
  const app = new App({ logErrors: false })
  app.post('/ignore', () => 'ignored')
  app.get('/ok', () => 'ok')
  await withServer(app, async (server) => {
    const c = await RawClient.open(server.port)
    try {
      c.write(post('/ignore', 'some body'))
      assert.equal((await c.response()).body.toString(), 'ignored')
      c.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n')
      assert.equal((await c.response()).body.toString(), 'ok')
    } finally {
      c.destroy()
    }
  })
})

test('an unread large body ends the connection after the answer instead of reading it', async () => {
  const app = new App({ logErrors: false })
  app.post('/ignore', () => 'ignored')
  await withServer(app, async (server) => {
    const c = await RawClient.open(server.port)
    try {
      c.write('POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n' + 'z'.repeat(1000))
      const r = await c.response()
      assert.equal(r.body.toString(), 'ignored')
      assert.equal(r.header('connection'), 'close')
      await c.closed()
    } finally {
      c.destroy()
    }
  })
})

test('Expect: 100-continue: 100 only when the body is read; a refused upload is never invited', async () => {
  const { app, seen } = counting({ bodyLimit: 1024 })
  app.post('/refuse', () => new Response('no thanks', { status: 403 }))
  await withServer(app, async (server) => {
    // Over the limit: the final 413 comes first, without a 100, and the connection closes.
    const big = await RawClient.open(server.port)
    try {
      big.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n')
      const r = await big.response()
      assert.equal(r.status, 413)
      await big.closed()
      assert.equal(seen.bytes, 0)
    } finally {
      big.destroy()
    }
    // A handler that never reads the body: no 100 either.
    const refused = await RawClient.open(server.port)
    try {
      refused.write('POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n')
      const r = await refused.response()
      assert.equal(r.status, 403)
      assert.equal(r.header('connection'), 'close')
      await refused.closed()
    } finally {
      refused.destroy()
    }
    // Within the limit: 100 Continue, then the body, then the answer, on a live connection.
    const ok = await RawClient.open(server.port)
    try {
      ok.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n')
      const interim = await ok.response()
      assert.equal(interim.status, 100)
      ok.write('hello')
      const r = await ok.response()
      assert.equal(r.status, 200)
      assert.equal(r.body.toString(), 'got 5')
      ok.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n')
      assert.equal((await ok.response()).body.toString(), 'ok')
    } finally {
      ok.destroy()
    }
  })
})
