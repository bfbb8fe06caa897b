// Multipart form data: the streaming parser under every way of splitting the input, formData()
// and parts() through app.request, curl -F uploads streamed to disk, limits and hostile input.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App, HttpError, type MultipartLimits } from 'weft'
import { bodyLimit } from 'weft/middleware'
import { MultipartParser } from '../../src/http/multipart-parser.ts'
import { parsePartHeaders } from '../../src/http/multipart-headers.ts'
import { withServer } from '../helpers/server.ts'
import { RawClient } from '../helpers/raw.ts'
import { peer } from '../helpers/peers.ts'

const B = '----weftBoundary7MA4YWxkTrZu0gW'
const CT = `multipart/form-data; boundary=${B}`

function body(parts: Array<{ headers: string[]; data: string | Buffer }>, opts: { preamble?: string; epilogue?: string; close?: boolean } = {}): Buffer {
  const out: Buffer[] = []
  if (opts.preamble !== undefined) out.push(Buffer.from(`${opts.preamble}\r\n`))
  for (const p of parts) {
    out.push(Buffer.from(`--${B}\r\n${p.headers.map((h) => `${h}\r\n`).join('')}\r\n`))
    out.push(typeof p.data === 'string' ? Buffer.from(p.data) : p.data)
    out.push(Buffer.from('\r\n'))
  }
  if (opts.close !== false) out.push(Buffer.from(`--${B}--\r\n${opts.epilogue ?? ''}`))
  return Buffer.concat(out)
}

const BINARY = Buffer.concat([randomBytes(3000), Buffer.from(`\r\n--${B.slice(0, 10)}\r\n-\r`), randomBytes(100)])
const SAMPLE = body(
  [
    { headers: ['Content-Disposition: form-data; name="title"'], data: 'héllo\r\nwörld' },
    { headers: ['content-disposition: form-data; name="empty"'], data: '' },
    { headers: ['Content-Disposition: form-data; name="file"; filename="a b.bin"', 'Content-Type: application/x-thing'], data: BINARY },
    { headers: ['Content-Disposition: form-data; name="uni"; filename="fallback.txt"; filename*=UTF-8\'\'na%C3%AFve%20%E2%82%AC.txt'], data: 'x' },
    { headers: ['Content-Disposition: form-data; name="quoted \\"q\\"; semi"'], data: '--' + B },
  ],
  { preamble: 'ignored preamble', epilogue: 'ignored epilogue\r\n' },
)

type Parsed = Array<{ name: string; filename: string | undefined; type: string; data: Buffer }>

function parse(input: Buffer, split: (n: number) => number[]): Parsed {
  const parts: Parsed = []
  let current: Buffer[] = []
  const parser = new MultipartParser(
    B,
    {
      partBegin(block) {
        const info = parsePartHeaders(block)
        parts.push({ name: info.name, filename: info.filename, type: info.type, data: Buffer.alloc(0) })
        current = []
      },
      partData(bytes) {
        current.push(Buffer.from(bytes))
      },
      partEnd() {
        parts[parts.length - 1]!.data = Buffer.concat(current)
      },
    },
    16 * 1024,
  )
  let at = 0
  for (const size of split(input.length)) {
    parser.write(input.subarray(at, at + size))
    at += size
  }
  parser.write(input.subarray(at))
  parser.end()
  return parts
}

function expectSample(parts: Parsed, how: string): void {
  assert.deepEqual(
    parts.map((p) => [p.name, p.filename, p.type]),
    [
      ['title', undefined, 'text/plain'],
      ['empty', undefined, 'text/plain'],
      ['file', 'a b.bin', 'application/x-thing'],
      ['uni', 'naïve €.txt', 'application/octet-stream'],
      ['quoted "q"; semi', undefined, 'text/plain'],
    ],
    how,
  )
  assert.equal(parts[0]!.data.toString(), 'héllo\r\nwörld', how)
  assert.equal(parts[1]!.data.length, 0, how)
  assert.ok(parts[2]!.data.equals(BINARY), how)
  assert.equal(parts[4]!.data.toString(), '--' + B, how)
}

test('parser: whole, one byte at a time, every two-way split, random splits', () => {
  expectSample(parse(SAMPLE, () => []), 'whole')
  expectSample(parse(SAMPLE, (n) => Array.from({ length: n }, () => 1)), 'byte by byte')
  for (let cut = 1; cut < SAMPLE.length; cut += 7) expectSample(parse(SAMPLE, () => [cut]), `split at ${cut}`)
  for (let round = 0; round < 50; round++) {
    expectSample(
      parse(SAMPLE, (n) => {
        const sizes: number[] = []
        for (let left = n; left > 0; ) {
          const s = 1 + Math.floor(Math.random() * 200)
          sizes.push(s)
          left -= s
        }
        return sizes
      }),
      `random round ${round}`,
    )
  }
})

test('parser: transport padding after boundaries, body starting with the boundary, no CRLF after close', () => {
  const input = Buffer.from(`--${B} \t\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--${B}--`)
  const parts = parse(input, () => [])
  assert.equal(parts.length, 1)
  assert.equal(parts[0]!.data.toString(), '1')
})

function status(fn: () => unknown): number {
  try {
    fn()
  } catch (error) {
    if (error instanceof HttpError) return error.status
    throw error
  }
  return 200
}

test('parser: malformed input answers 400', () => {
  const cases: Record<string, Buffer> = {
    'wrong boundary': Buffer.from(`--other\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--other--\r\n`),
    'truncated body': SAMPLE.subarray(0, SAMPLE.length - 30),
    'truncated in headers': Buffer.from(`--${B}\r\nContent-Disposition: form-da`),
    'no closing delimiter': body([{ headers: ['Content-Disposition: form-data; name="a"'], data: 'x' }], { close: false }),
    'garbage after boundary': Buffer.from(`--${B}xyz\r\n`),
    'no content-disposition': body([{ headers: ['Content-Type: text/plain'], data: 'x' }]),
    'no headers at all': body([{ headers: [], data: 'x' }]),
    'no name': body([{ headers: ['Content-Disposition: form-data; filename="f"'], data: 'x' }]),
    'not form-data': body([{ headers: ['Content-Disposition: attachment; name="a"'], data: 'x' }]),
    'folded header': body([{ headers: ['Content-Disposition: form-data;', ' name="a"'], data: 'x' }]),
    'bare LF in a header': body([{ headers: ['Content-Disposition: form-data; name="a"\nX-Evil: 1'], data: 'x' }]),
    'unterminated quote': body([{ headers: ['Content-Disposition: form-data; name="a'], data: 'x' }]),
    'empty body': Buffer.alloc(0),
  }
  for (const [what, input] of Object.entries(cases)) assert.equal(status(() => parse(input, () => [])), 400, what)
})

test('parser: huge part headers answer 413 without being buffered whole', () => {
  const input = Buffer.concat([Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: `), Buffer.alloc(1024 * 1024, 0x61)])
  assert.equal(status(() => parse(input, (n) => Array.from({ length: Math.ceil(n / 1000) }, () => 1000))), 413)
})

function app(limits?: MultipartLimits, dir?: string): App {
  const a = new App({ logErrors: false })
  a.post('/form', async (req) => {
    const form = await req.formData(limits)
    const out: Record<string, unknown> = {}
    for (const [name, value] of form) {
      out[name] = typeof value === 'string' ? value : { file: value.name, type: value.type, size: value.size, sha: createHash('sha256').update(Buffer.from(await value.arrayBuffer())).digest('hex') }
    }
    return out
  })
  a.post('/upload', bodyLimit('64mb'), async (req) => {
    const saved: Array<{ name: string; filename?: string; size: number; sha?: string; text?: string }> = []
    for await (const part of req.parts(limits)) {
      if (part.filename === undefined) {
        saved.push({ name: part.name, size: 0, text: await part.text() })
        continue
      }
      const path = join(dir!, `upload-${saved.length}`)
      const size = await part.saveTo(path)
      saved.push({ name: part.name, filename: part.filename, size, sha: createHash('sha256').update(readFileSync(path)).digest('hex') })
    }
    return saved
  })
  a.post('/skip', async (req) => {
    const names: string[] = []
    for await (const part of req.parts(limits)) names.push(part.name) // bodies left unread
    return names
  })
  return a
}

test('formData(): fields as strings, files as File; also urlencoded', async () => {
  const a = app()
  let res = await a.request('/form', { method: 'POST', headers: { 'content-type': CT }, body: SAMPLE })
  assert.equal(res.status, 200)
  const got = (await res.json()) as Record<string, unknown>
  assert.equal(got.title, 'héllo\r\nwörld')
  assert.equal(got.empty, '')
  assert.deepEqual(got.file, { file: 'a b.bin', type: 'application/x-thing', size: BINARY.length, sha: createHash('sha256').update(BINARY).digest('hex') })
  assert.deepEqual(got.uni, { file: 'naïve €.txt', type: 'application/octet-stream', size: 1, sha: createHash('sha256').update('x').digest('hex') })
  // A web FormData encoded by undici (the browser's encoding rules).
  const form = new FormData()
  form.append('a', 'one')
  form.append('f', new File(['file body'], 'f.txt', { type: 'text/plain' }))
  res = await a.request(new Request('http://x/form', { method: 'POST', body: form }))
  assert.deepEqual(await res.json(), { a: 'one', f: { file: 'f.txt', type: 'text/plain', size: 9, sha: createHash('sha256').update('file body').digest('hex') } })
  res = await a.request('/form', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1&y=%C3%A9' })
  assert.deepEqual(await res.json(), { x: '1', y: 'é' })
})

test('parts(): unread parts are skipped', async () => {
  const res = await app().request('/skip', { method: 'POST', headers: { 'content-type': CT }, body: SAMPLE })
  assert.deepEqual(await res.json(), ['title', 'empty', 'file', 'uni', 'quoted "q"; semi'])
})

test('limits and malformed requests: 413, 400, 415', async () => {
  const a = app({ parts: 5, fieldSize: 100, fileSize: 1000, headerSize: 512 })
  const post = async (ct: string | undefined, payload: Buffer | string, path = '/form'): Promise<{ status: number; text: string }> => {
    const res = await a.request(path, { method: 'POST', headers: ct === undefined ? {} : { 'content-type': ct }, body: payload })
    return { status: res.status, text: await res.text() }
  }
  const field = (name: string, data: string | Buffer, extra: string[] = []): { headers: string[]; data: string | Buffer } => ({ headers: [`Content-Disposition: form-data; name="${name}"`, ...extra], data })
  const many = body(Array.from({ length: 6 }, (_, i) => field(`f${i}`, 'x')))
  for (const path of ['/form', '/skip']) {
    const r = await post(CT, many, path)
    assert.equal(r.status, 413, path)
    assert.match(r.text, /more than the limit of 5 parts/)
  }
  let r = await post(CT, body([field('big', 'x'.repeat(101))]))
  assert.equal(r.status, 413)
  assert.match(r.text, /field "big" is larger than the limit of 100 bytes/)
  r = await post(CT, body([{ headers: ['Content-Disposition: form-data; name="f"; filename="a"'], data: Buffer.alloc(1001) }]))
  assert.equal(r.status, 413)
  assert.match(r.text, /file "f" is larger than the limit of 1000 bytes/)
  r = await post(CT, body([field('h', 'x', [`X-Pad: ${'p'.repeat(600)}`])]))
  assert.equal(r.status, 413)
  assert.match(r.text, /headers are larger than the limit of 512 bytes/)
  r = await post('multipart/form-data', SAMPLE)
  assert.equal(r.status, 400)
  assert.match(r.text, /no boundary/)
  r = await post('multipart/form-data; boundary="bad\\\\boundary"', SAMPLE)
  assert.equal(r.status, 400)
  r = await post('multipart/form-data; boundary=wrong', SAMPLE)
  assert.equal(r.status, 400)
  r = await post(CT, SAMPLE.subarray(0, 200))
  assert.equal(r.status, 400)
  assert.match(r.text, /truncated/)
  r = await post('text/plain', 'x')
  assert.equal(r.status, 415)
  r = await post('text/plain', 'x', '/skip')
  assert.equal(r.status, 415)
  // The body limit covers the whole raw body.
  const small = new App({ logErrors: false, bodyLimit: 1000 })
  small.post('/form', async (req) => [...(await req.formData()).keys()])
  const res = await small.request('/form', { method: 'POST', headers: { 'content-type': CT }, body: body([field('a', 'x'.repeat(2000))]) })
  assert.equal(res.status, 413)
})

test('over a socket: a chunked upload split one byte at a time', async () => {
  await withServer(app(), async (server) => {
    const c = await RawClient.open(server.port)
    try {
      c.write(`POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: ${CT}\r\nTransfer-Encoding: chunked\r\n\r\n`)
      const small = body([{ headers: ['Content-Disposition: form-data; name="a"'], data: `x\r\n--${B.slice(0, 5)}y` }])
      for (const byte of small) c.write(`1\r\n${String.fromCharCode(byte)}\r\n`)
      c.write('0\r\n\r\n')
      const r = await c.response({ timeout: 5000 })
      assert.equal(r.status, 200)
      assert.deepEqual(JSON.parse(r.body.toString()), { a: `x\r\n--${B.slice(0, 5)}y` })
    } finally {
      c.destroy()
    }
  })
})

const curl = peer('curl')

test('curl -F: fields and a 5 MiB file streamed to disk with saveTo()', curl, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-mp-'))
  try {
    const file = join(dir, 'big.bin')
    const data = randomBytes(5 * 1024 * 1024)
    writeFileSync(file, data)
    await withServer(app(undefined, dir), async (server) => {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          'curl',
          ['--silent', '--show-error', '--max-time', '20', '-F', 'note=hello wörld', '-F', `upload=@${file};type=application/octet-stream`, `${server.url}/upload`],
          { maxBuffer: 1024 * 1024 },
          (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
        )
      })
      const saved = JSON.parse(out) as Array<Record<string, unknown>>
      assert.deepEqual(saved[0], { name: 'note', size: 0, text: 'hello wörld' })
      assert.deepEqual(saved[1], { name: 'upload', filename: 'big.bin', size: data.length, sha: createHash('sha256').update(data).digest('hex') })
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('saveTo(): a file over its limit is removed again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-mp-'))
  try {
    const a = app({ fileSize: 1000 }, dir)
    const payload = body([{ headers: ['Content-Disposition: form-data; name="f"; filename="x"'], data: Buffer.alloc(5000, 1) }])
    const res = await a.request('/upload', { method: 'POST', headers: { 'content-type': CT }, body: payload })
    assert.equal(res.status, 413)
    assert.equal(existsSync(join(dir, 'upload-0')), false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
