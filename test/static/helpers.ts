import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { App, Request, type IncomingHeaders, type RequestTransport } from 'weft'

/** A fixed modification time for fixtures, so validators are predictable. */
export const MTIME = new Date('2024-03-01T12:00:00Z')

/** Writes `files` (path → content) under a fresh temp dir; `cleanup` removes it. */
export function fixture(files: Record<string, string | Buffer>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-static-'))
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, content)
    utimesSync(path, MTIME, MTIME)
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

const transport: RequestTransport = {
  remoteAddress: '127.0.0.1',
  encrypted: false,
  httpVersion: '1.1',
  body: () => null,
  signal: () => new AbortController().signal,
}

export interface Answer {
  status: number
  headers: Record<string, string>
  body: Buffer
  /** Whether the response body was a stream (as opposed to bytes held in memory). */
  streamed: boolean
}

/**
 * Runs one request through `app.handle` with the path exactly as given. `app.request()` goes
 * through WHATWG URL parsing, which rewrites `%2e%2e` and `..` before the app sees them; this
 * does not, like a raw socket.
 */
export async function call(app: App, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const h: IncomingHeaders = { host: 'localhost' }
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v
  const res = await app.handle(new Request(method, path, h, transport))
  const out: Record<string, string> = {}
  for (const [k, v] of res.headers) out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`
  const body = res.body
  let bytes = Buffer.alloc(0)
  let streamed = false
  if (typeof body === 'string') bytes = Buffer.from(body)
  else if (body instanceof Uint8Array) bytes = Buffer.from(body)
  else if (body !== null) {
    streamed = true
    const chunks: Buffer[] = []
    const iterable = body instanceof ReadableStream ? Readable.fromWeb(body as import('node:stream/web').ReadableStream) : body
    for await (const c of iterable as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(c))
    bytes = Buffer.concat(chunks)
  }
  return { status: res.status, headers: out, body: bytes, streamed }
}

/** Splits a multipart/byteranges body into its parts' headers and bytes (a strict parser). */
export function parseByteranges(contentType: string, body: Buffer): Array<{ headers: Record<string, string>; data: Buffer }> {
  const m = /^multipart\/byteranges; boundary=([A-Za-z0-9'()+_,\-./:=?]+)$/.exec(contentType)
  if (m === null) throw new Error(`not multipart/byteranges: ${contentType}`)
  const delimiter = Buffer.from(`--${m[1]}`)
  const parts: Array<{ headers: Record<string, string>; data: Buffer }> = []
  let pos = body.indexOf(delimiter)
  if (pos !== 0 && !(pos === 2 && body.subarray(0, 2).toString() === '\r\n')) throw new Error('body does not start with the boundary')
  for (;;) {
    pos += delimiter.length
    if (body.subarray(pos, pos + 4).toString() === '--\r\n') {
      if (pos + 4 !== body.length) throw new Error('bytes after the closing boundary')
      return parts
    }
    if (body.subarray(pos, pos + 2).toString() !== '\r\n') throw new Error('boundary not followed by CRLF')
    const headEnd = body.indexOf('\r\n\r\n', pos)
    const headers: Record<string, string> = {}
    for (const line of body.subarray(pos + 2, headEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(headers['content-range'] ?? '')
    if (range === null) throw new Error(`bad part Content-Range: ${headers['content-range']}`)
    const start = headEnd + 4
    const length = Number(range[2]) - Number(range[1]) + 1
    parts.push({ headers, data: body.subarray(start, start + length) })
    pos = start + length
    if (body.subarray(pos, pos + 2).toString() !== '\r\n') throw new Error('part not followed by CRLF')
    pos += 2
    if (body.indexOf(delimiter, pos) !== pos) throw new Error('part length does not match its Content-Range')
  }
}
