import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, type SecureClientSessionOptions } from 'node:http2'
import { serve, type App, type Handler, type Server, type ServeOptions } from 'weft'
import { within } from '../helpers/wait.ts'

export const FIXTURES = new URL('../fixtures/tls/', import.meta.url).pathname
export const CA = `${FIXTURES}ca.pem`
export const TLS = { cert: `${FIXTURES}localhost.pem`, key: `${FIXTURES}localhost.key` }
export const caPem = (): Buffer => readFileSync(CA)

/** Runs a peer program; resolves with its output whatever its exit code (the test judges). */
export function run(command: string, args: string[], timeout = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
      resolve({ code, stdout, stderr })
    })
  })
}

export function curl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('curl', ['--silent', '--show-error', '--max-time', '10', ...args])
}

/** A server with HTTP/2 on, over TLS (`secure`) or cleartext, closed after `fn`. */
export async function withH2<T>(app: App | Handler, secure: boolean, fn: (server: Server) => Promise<T>, options: ServeOptions = {}): Promise<T> {
  const server = await serve(app, { port: 0, http2: true, ...(secure ? { tls: TLS } : {}), ...options })
  try {
    return await fn(server)
  } finally {
    await server.close({ timeout: 1000 })
  }
}

/** A node:http2 client session to a server (trusting the fixture CA). */
export function h2connect(server: Server, options: SecureClientSessionOptions = {}): Promise<ClientHttp2Session> {
  const url = server.url.startsWith('https:') ? server.url.replace('127.0.0.1', 'localhost') : server.url
  const session = connect(url, { ca: caPem(), ...options })
  session.on('error', () => {})
  return within(
    new Promise<ClientHttp2Session>((resolve, reject) => {
      session.once('connect', () => resolve(session))
      session.once('error', reject)
    }),
    5000,
    'an HTTP/2 session',
  )
}

export interface H2Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One request on a session, read to the end. */
export function h2request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Answer> {
  const stream = session.request(headers, { endStream: body === undefined })
  if (body !== undefined) stream.end(body)
  return within(
    new Promise<H2Answer>((resolve, reject) => {
      let responseHeaders: IncomingHttpHeaders = {}
      const chunks: Buffer[] = []
      stream.on('response', (h) => (responseHeaders = h))
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body: Buffer.concat(chunks).toString() }))
      stream.on('error', reject)
    }),
    5000,
    `a response to ${String(headers[':path'])}`,
  )
}

/** Resolves with the GOAWAY error code a session receives, or rejects after `ms`. */
export function goawayCode(session: ClientHttp2Session, ms = 5000): Promise<number> {
  return within(new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code))), ms, 'a GOAWAY')
}

export { constants }

/** The client connection preface of HTTP/2 (RFC 9113 §3.4), for raw-frame clients. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/** One HTTP/2 frame: 9-byte header (RFC 9113 §4.1) and payload. */
export function frame(type: number, flags: number, id: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9)
  header.writeUIntBE(payload.length, 0, 3)
  header[3] = type
  header[4] = flags
  header.writeUInt32BE(id, 5)
  return Buffer.concat([header, payload])
}

/**
 * A GET request's header block in HPACK (RFC 7541): :method GET, :scheme http (static indexes
 * 2 and 6), then :path and :authority as literals with static names (indexes 4 and 1), never
 * indexed. `path` must be under 128 bytes (one-byte length).
 */
export function getHeaderBlock(path: string): Buffer {
  return Buffer.concat([Buffer.from([0x82, 0x86, 0x04, path.length]), Buffer.from(path), Buffer.from([0x01, 9]), Buffer.from('localhost')])
}

/** The frames in `bytes` (whole ones only): type, stream id and payload. */
export function frames(bytes: Buffer): Array<{ type: number; id: number; payload: Buffer }> {
  const out: Array<{ type: number; id: number; payload: Buffer }> = []
  let at = 0
  while (at + 9 <= bytes.length) {
    const end = at + 9 + bytes.readUIntBE(at, 3)
    if (end > bytes.length) break
    out.push({ type: bytes[at + 3]!, id: bytes.readUInt32BE(at + 5) & 0x7fffffff, payload: bytes.subarray(at + 9, end) })
    at = end
  }
  return out
}
