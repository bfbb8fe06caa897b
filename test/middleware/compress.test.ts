// compress(): negotiation, thresholds, skips, headers, streamed bodies flushed chunk by chunk,
// and real clients (curl --compressed, undici, node:http) decoding what it sends.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { randomBytes } from 'node:crypto'
import zlib from 'node:zlib'
import { fetch as undiciFetch } from 'undici'
import { App, Response, sse, text } from 'weft'
import { compress, negotiateEncoding } from 'weft/middleware'
import { withServer } from '../helpers/server.ts'
import { peer } from '../helpers/peers.ts'
import { deferred, within } from '../helpers/wait.ts'

const HAS_ZSTD = typeof (zlib as unknown as { createZstdCompress?: unknown }).createZstdCompress === 'function'
const ALL = HAS_ZSTD ? (['br', 'zstd', 'gzip', 'deflate'] as const) : (['br', 'gzip', 'deflate'] as const)
const BIG = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: i, name: `user ${i}`, active: i % 3 === 0 })))

function decode(coding: string | null, body: Buffer): Buffer {
  switch (coding) {
    case 'gzip':
      return zlib.gunzipSync(body)
    case 'br':
      return zlib.brotliDecompressSync(body)
    case 'deflate':
      return zlib.inflateSync(body)
    case 'zstd':
      return (zlib as unknown as { zstdDecompressSync(b: Buffer): Buffer }).zstdDecompressSync(body)
    default:
      return body
  }
}

async function* lines(): AsyncGenerator<string> {
  for (let i = 0; i < 50; i++) yield `line ${i} ${'x'.repeat(100)}\n`
}

function app(options: Parameters<typeof compress>[0] = {}): App {
  const a = new App({ logErrors: false })
  a.use(compress(options))
  a.get('/big', () => new Response(BIG, { headers: { 'content-type': 'application/json' } }))
  a.get('/small', () => 'tiny')
  a.get('/bytes', () => new Response(Buffer.from(BIG), { headers: { 'content-type': 'text/csv' } }))
  a.get('/png', () => new Response(Buffer.alloc(5000), { headers: { 'content-type': 'image/png' } }))
  a.get('/none', () => new Response(Buffer.alloc(5000)))
  a.get('/encoded', () => new Response(zlib.gzipSync(BIG), { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }))
  a.get('/no-transform', () => new Response(BIG, { headers: { 'content-type': 'text/plain', 'cache-control': 'public, no-transform' } }))
  a.get('/partial', () => new Response(BIG, { status: 206, headers: { 'content-type': 'text/plain', 'content-range': `bytes 0-${BIG.length - 1}/${BIG.length * 2}` } }))
  a.get('/etag', () => new Response(BIG, { headers: { 'content-type': 'text/plain', etag: '"abc"', 'accept-ranges': 'bytes' } }))
  a.get('/weak', () => new Response(BIG, { headers: { 'content-type': 'text/plain', etag: 'W/"abc"' } }))
  a.get('/vary', () => new Response(BIG, { headers: { 'content-type': 'text/plain', vary: 'Origin' } }))
  a.get('/random', () => new Response(randomBytes(4000), { headers: { 'content-type': 'text/plain' } }))
  a.get('/medium', () => text('abc'.repeat(100)))
  a.get('/huge', () => text('abcdefghij'.repeat(20_000)))
  a.get('/stream', () => new Response(lines(), { headers: { 'content-type': 'text/plain' } }))
  a.get('/untyped-stream', lines)
  a.get('/sized-stream', () => {
    const body = (async function* () {
      yield 'a'.repeat(3000)
    })()
    return new Response(body, { headers: { 'content-type': 'text/plain', 'content-length': '3000' } })
  })
  a.get('/304', () => new Response(null, { status: 304, headers: { etag: '"abc"' } }))
  return a
}

test('negotiateEncoding: q-values, *, identity and server preference', () => {
  const all = ['br', 'zstd', 'gzip', 'deflate'] as const
  const pick = (h: string | undefined): string | null => negotiateEncoding(h, all).coding
  assert.equal(pick(undefined), null, 'no header: identity')
  assert.equal(pick(''), null, 'empty header: identity')
  assert.equal(pick('gzip'), 'gzip')
  assert.equal(pick('gzip, deflate, br'), 'br', 'equal q: server order')
  assert.equal(pick('gzip, deflate, br, zstd'), 'br')
  assert.equal(pick('deflate, gzip'), 'gzip')
  assert.equal(pick('br;q=0.5, gzip;q=0.8'), 'gzip', 'client q wins over server order')
  assert.equal(pick('br;q=0, gzip'), 'gzip', 'q=0 excludes')
  assert.equal(pick('*'), 'br', '* accepts everything')
  assert.equal(pick('*;q=0.5, br;q=0'), 'zstd', '* covers what is not named')
  assert.equal(pick('x-gzip'), 'gzip')
  assert.equal(pick('GZIP'), 'gzip', 'case-insensitive')
  assert.equal(pick('identity'), null)
  assert.equal(pick('gzip;q=0.5, identity'), null, 'identity rated higher')
  assert.equal(pick('compress, sdch'), null, 'unknown codings only')
  assert.equal(pick('gzip;q=2'), null, 'an invalid q-value drops the element')
  assert.equal(pick('gzip;q=abc, deflate'), 'deflate')
  assert.equal(pick('gzip;level=1;q=0.3'), 'gzip', 'other parameters are skipped')
  assert.equal(pick('  br ; q=1.000 ,gzip'), 'br')
  assert.deepEqual(negotiateEncoding('identity;q=0', all), { coding: null, identityOk: false })
  assert.deepEqual(negotiateEncoding('*;q=0', all), { coding: null, identityOk: false })
  assert.deepEqual(negotiateEncoding('*;q=0, identity', all), { coding: null, identityOk: true })
  assert.deepEqual(negotiateEncoding('gzip, identity;q=0', all), { coding: 'gzip', identityOk: false })
  assert.equal(negotiateEncoding('zstd, gzip', ['br', 'gzip', 'deflate']).coding, 'gzip', 'only what the server has')
})

test('compress: each coding round-trips with an exact Content-Length', async (t) => {
  const a = app()
  for (const coding of ALL) {
    await t.test(coding, async () => {
      const res = await a.request('/big', { headers: { 'accept-encoding': coding } })
      assert.equal(res.headers.get('content-encoding'), coding)
      assert.equal(res.headers.get('vary'), 'Accept-Encoding')
      const body = Buffer.from(await res.arrayBuffer())
      assert.equal(res.headers.get('content-length'), String(body.length))
      assert.ok(body.length < BIG.length / 3, `${coding} compresses (${body.length} of ${BIG.length})`)
      assert.equal(decode(coding, body).toString(), BIG)
    })
  }
  await t.test('bytes bodies too', async () => {
    const res = await a.request('/bytes', { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(res.headers.get('content-encoding'), 'gzip')
    assert.equal(decode('gzip', Buffer.from(await res.arrayBuffer())).toString(), BIG)
  })
  await t.test('a body above the synchronous size goes through the thread pool', async () => {
    const res = await a.request('/huge', { headers: { 'accept-encoding': 'br' } })
    assert.equal(res.headers.get('content-encoding'), 'br')
    assert.equal(decode('br', Buffer.from(await res.arrayBuffer())).toString(), 'abcdefghij'.repeat(20_000))
  })
  await t.test('the preferred coding among several', async () => {
    const res = await a.request('/big', { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } })
    assert.equal(res.headers.get('content-encoding'), 'br')
  })
  await t.test('encodings option: the server order', async () => {
    const b = app({ encodings: ['gzip', 'br'] })
    const res = await b.request('/big', { headers: { 'accept-encoding': 'br, gzip' } })
    assert.equal(res.headers.get('content-encoding'), 'gzip')
  })
})

test('compress: what is left alone', async (t) => {
  const a = app()
  const ae = { 'accept-encoding': 'gzip, br' }
  await t.test('no Accept-Encoding: identity, but Vary', async () => {
    const res = await a.request('/big')
    assert.equal(res.headers.get('content-encoding'), null)
    assert.equal(res.headers.get('vary'), 'Accept-Encoding')
    assert.equal(await res.text(), BIG)
  })
  await t.test('below the threshold', async () => {
    const res = await a.request('/small', { headers: ae })
    assert.equal(res.headers.get('content-encoding'), null)
    assert.equal(res.headers.get('vary'), 'Accept-Encoding')
    assert.equal(await res.text(), 'tiny')
  })
  await t.test('identity;q=0 compresses even below the threshold', async () => {
    const res = await a.request('/small', { headers: { 'accept-encoding': 'gzip, identity;q=0' } })
    assert.equal(res.headers.get('content-encoding'), 'gzip')
    assert.equal(decode('gzip', Buffer.from(await res.arrayBuffer())).toString(), 'tiny')
  })
  await t.test('threshold option', async () => {
    const res = await app({ threshold: 100 }).request('/medium', { headers: ae })
    assert.equal(res.headers.get('content-encoding'), 'br')
    assert.equal((await a.request('/medium', { headers: ae })).headers.get('content-encoding'), null)
  })
  await t.test('incompressible types, no Vary', async () => {
    for (const path of ['/png', '/none']) {
      const res = await a.request(path, { headers: ae })
      assert.equal(res.headers.get('content-encoding'), null, path)
      assert.equal(res.headers.get('vary'), null, path)
      assert.equal((await res.arrayBuffer()).byteLength, 5000)
    }
  })
  await t.test('filter option', async () => {
    const res = await app({ filter: (type) => type.startsWith('image/') }).request('/png', { headers: ae })
    assert.equal(res.headers.get('content-encoding'), 'br')
  })
  await t.test('an existing Content-Encoding', async () => {
    const res = await a.request('/encoded', { headers: ae })
    assert.equal(res.headers.get('content-encoding'), 'gzip')
    assert.equal(decode('gzip', Buffer.from(await res.arrayBuffer())).toString(), BIG)
  })
  await t.test('Cache-Control: no-transform', async () => {
    const res = await a.request('/no-transform', { headers: ae })
    assert.equal(res.headers.get('content-encoding'), null)
    assert.equal(await res.text(), BIG)
  })
  await t.test('206', async () => {
    const res = await a.request('/partial', { headers: ae })
    assert.equal(res.status, 206)
    assert.equal(res.headers.get('content-encoding'), null)
  })
  await t.test('404 from the app and 304 (Vary kept for caches)', async () => {
    const res = await a.request('/nothing-here', { headers: ae })
    assert.equal(res.status, 404)
    assert.equal(res.headers.get('content-encoding'), null)
    const notModified = await a.request('/304', { headers: ae })
    assert.equal(notModified.status, 304)
    assert.equal(notModified.headers.get('vary'), 'Accept-Encoding')
  })
  await t.test('HEAD: uncompressed headers, Vary', async () => {
    const res = await a.request('/big', { method: 'HEAD', headers: ae })
    assert.equal(res.headers.get('content-encoding'), null)
    assert.equal(res.headers.get('vary'), 'Accept-Encoding')
  })
  await t.test('data that does not shrink is sent as it is', async () => {
    const res = await a.request('/random', { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(res.headers.get('content-encoding'), null)
  })
})

test('compress: ETag, Accept-Ranges and Vary', async () => {
  const a = app()
  let res = await a.request('/etag', { headers: { 'accept-encoding': 'gzip' } })
  assert.equal(res.headers.get('etag'), 'W/"abc"', 'a strong ETag becomes weak')
  assert.equal(res.headers.get('accept-ranges'), null)
  res = await a.request('/etag')
  assert.equal(res.headers.get('etag'), '"abc"', 'identity keeps it strong')
  assert.equal(res.headers.get('accept-ranges'), 'bytes')
  res = await a.request('/weak', { headers: { 'accept-encoding': 'gzip' } })
  assert.equal(res.headers.get('etag'), 'W/"abc"')
  res = await a.request('/vary', { headers: { 'accept-encoding': 'gzip' } })
  assert.equal(res.headers.get('vary'), 'Origin, Accept-Encoding')
})

test('compress: streams are compressed, chunked, without Content-Length', async () => {
  const a = app()
  let res = await a.request('/stream', { headers: { 'accept-encoding': 'gzip' } })
  assert.equal(res.headers.get('content-encoding'), 'gzip')
  assert.equal(res.headers.get('content-length'), null)
  const expected = Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(100)}\n`).join('')
  assert.equal(decode('gzip', Buffer.from(await res.arrayBuffer())).toString(), expected)
  res = await a.request('/untyped-stream', { headers: { 'accept-encoding': 'gzip' } })
  assert.equal(res.headers.get('content-encoding'), null, 'a stream without a Content-Type is left alone')
  assert.equal(await res.text(), expected)
  res = await a.request('/sized-stream', { headers: { 'accept-encoding': 'br' } })
  assert.equal(res.headers.get('content-length'), null, 'the uncompressed length is dropped')
  assert.equal(decode('br', Buffer.from(await res.arrayBuffer())).toString(), 'a'.repeat(3000))
})

function open(url: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers }, resolve)
    req.on('error', reject)
  })
}

test('compress: every chunk a stream yields is flushed to the client at once', async (t) => {
  for (const coding of ALL) {
    await t.test(coding, async () => {
      const gates = [deferred(), deferred(), deferred()]
      const a = new App({ logErrors: false })
      a.use(compress())
      a.get('/slow', () => {
        const body = (async function* () {
          for (let i = 0; i < gates.length; i++) {
            yield `part ${i};`
            await gates[i]!.promise
          }
        })()
        return new Response(body, { headers: { 'content-type': 'text/plain' } })
      })
      await withServer(a, async (server) => {
        const res = await open(`${server.url}/slow`, { 'accept-encoding': coding })
        assert.equal(res.headers['content-encoding'], coding)
        const decoder =
          coding === 'gzip' ? zlib.createGunzip() : coding === 'br' ? zlib.createBrotliDecompress() : coding === 'deflate' ? zlib.createInflate() : (zlib as unknown as { createZstdDecompress(): zlib.Gunzip }).createZstdDecompress()
        let received = ''
        const waiters = new Set<() => void>()
        decoder.on('data', (b: Buffer) => {
          received += b.toString()
          for (const w of waiters) w()
        })
        res.pipe(decoder)
        const until = (s: string): Promise<void> =>
          within(
            new Promise<void>((resolve) => {
              const check = (): void => {
                if (received.includes(s)) resolve()
              }
              waiters.add(check)
              check()
            }),
            3000,
            `"${s}" to arrive decoded`,
          )
        // Each part must be readable while the producer is still holding back the next one.
        for (let i = 0; i < gates.length; i++) {
          await until(`part ${i};`)
          assert.ok(!received.includes(`part ${i + 1};`))
          gates[i]!.resolve()
        }
        await within(new Promise((resolve) => decoder.on('end', resolve)), 3000, 'the end of the stream')
        assert.equal(received, 'part 0;part 1;part 2;')
      })
    })
  }
})

test('compress: SSE through compress; the source stops when the client leaves', async () => {
  const stopped = deferred()
  const a = new App({ logErrors: false })
  a.use(compress())
  a.get('/events', () =>
    sse(
      (async function* () {
        try {
          let i = 0
          for (;;) {
            yield { id: String(i), data: `event ${i}` }
            i++
            await new Promise((resolve) => setTimeout(resolve, 5))
          }
        } finally {
          stopped.resolve()
        }
      })(),
    ),
  )
  await withServer(a, async (server) => {
    const res = await open(`${server.url}/events`, { 'accept-encoding': 'gzip' })
    assert.equal(res.headers['content-encoding'], 'gzip')
    assert.match(String(res.headers['content-type']), /^text\/event-stream/)
    const gunzip = zlib.createGunzip()
    res.pipe(gunzip)
    let text = ''
    await within(
      new Promise<void>((resolve) => {
        gunzip.on('data', (b: Buffer) => {
          text += b.toString()
          if (text.includes('data: event 3\n\n')) resolve()
        })
      }),
      3000,
      'four events',
    )
    assert.match(text, /^:\n\nid: 0\ndata: event 0\n\nid: 1\ndata: event 1\n\n/)
    res.destroy()
    await within(stopped.promise, 3000, "the source's finally")
  })
})

const curl = peer('curl')

function runCurl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`curl ${args.join(' ')} failed: ${error.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

test('curl --compressed decodes what compress() sends', curl, async () => {
  await withServer(app(), async (server) => {
    // curl 7.88 offers deflate, gzip, br and zstd (as built): it gets one of them and decodes it.
    const out = await runCurl(['--compressed', '-D', '-', `${server.url}/big`])
    const [head, body] = out.split('\r\n\r\n')
    assert.match(head!, /content-encoding: (br|zstd|gzip)/i)
    assert.equal(body, BIG)
    for (const coding of ALL) {
      const one = await runCurl(['--compressed', '-H', `accept-encoding: ${coding}`, '-w', '\n%{size_download}', `${server.url}/stream`])
      const lines = one.split('\n')
      const size = Number(lines.pop())
      assert.equal(lines.join('\n'), Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(100)}`).join('\n') + '\n', coding)
      assert.ok(size < 5000, `${coding}: ${size} bytes on the wire`)
    }
  })
})

test('undici fetch decodes compressed responses', async () => {
  await withServer(app(), async (server) => {
    for (const coding of ['gzip', 'br', 'deflate']) {
      const res = await undiciFetch(`${server.url}/big`, { headers: { 'accept-encoding': coding } })
      assert.equal(res.headers.get('content-encoding'), coding)
      assert.equal(await res.text(), BIG)
    }
  })
})
