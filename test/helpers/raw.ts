import { connect, type Socket } from 'node:net'

/** One parsed HTTP/1.1 response. */
export interface RawResponse {
  status: number
  /** Lower-case names; repeated headers keep every value. */
  headers: Record<string, string[]>
  /** First value of a header. */
  header(name: string): string | undefined
  body: Buffer
  /** Whether the message was chunked. */
  chunked: boolean
}

type Parsed = { response: RawResponse; used: number } | 'incomplete'

/**
 * Parses one response from the front of `buf`. `headOnly` is for answers to HEAD (no body
 * whatever the headers say). `eof` says the connection has ended, which completes a body that
 * runs to the close.
 */
export function parseResponse(buf: Buffer, headOnly = false, eof = false): Parsed {
  const end = buf.indexOf('\r\n\r\n')
  if (end === -1) return 'incomplete'
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n')
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)
  if (m === null) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`)
  const status = Number(m[1])
  const headers: Record<string, string[]> = {}
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    ;(headers[name] ??= []).push(line.slice(colon + 1).trim())
  }
  const header = (name: string): string | undefined => headers[name.toLowerCase()]?.[0]
  let pos = end + 4
  const make = (body: Buffer, chunked: boolean): RawResponse => ({ status, headers, header, body, chunked })
  if (headOnly || status === 204 || status === 304 || (status >= 100 && status < 200)) return { response: make(Buffer.alloc(0), false), used: pos }
  if (header('transfer-encoding')?.toLowerCase().includes('chunked')) {
    const parts: Buffer[] = []
    for (;;) {
      const eol = buf.indexOf('\r\n', pos)
      if (eol === -1) return 'incomplete'
      const size = parseInt(buf.subarray(pos, eol).toString('latin1'), 16)
      if (Number.isNaN(size)) throw new Error('bad chunk size from server')
      if (size === 0) {
        // No trailers expected from weft: the terminating CRLF follows directly.
        if (buf.length < eol + 4) return 'incomplete'
        return { response: make(Buffer.concat(parts), true), used: eol + 4 }
      }
      if (buf.length < eol + 2 + size + 2) return 'incomplete'
      parts.push(buf.subarray(eol + 2, eol + 2 + size))
      pos = eol + 2 + size + 2
    }
  }
  const length = header('content-length')
  if (length !== undefined) {
    const n = Number(length)
    if (buf.length < pos + n) return 'incomplete'
    return { response: make(buf.subarray(pos, pos + n), false), used: pos + n }
  }
  if (!eof) return 'incomplete'
  return { response: make(buf.subarray(pos), false), used: buf.length }
}

/**
 * A raw TCP client for driving the server byte by byte. Every wait is bounded by a timeout so
 * that no test can hang on a server that does not answer.
 */
export class RawClient {
  readonly socket: Socket
  private buf: Buffer = Buffer.alloc(0)
  /** Bytes received in total. */
  received = 0
  ended = false
  error: Error | null = null
  private waiters = new Set<() => void>()

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
      this.received += chunk.length
      this.wake()
    })
    socket.on('end', () => {
      this.ended = true
      this.wake()
    })
    socket.on('close', () => {
      this.ended = true
      this.wake()
    })
    socket.on('error', (err) => {
      this.error = err
      this.ended = true
      this.wake()
    })
  }

  static open(port: number, host = '127.0.0.1', timeout = 2000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new Error('connect timed out'))
      }, timeout)
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.off('error', reject)
        resolve(new RawClient(socket))
      })
      socket.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
    })
  }

  write(data: string | Buffer): void {
    this.socket.write(data)
  }

  private wake(): void {
    for (const w of this.waiters) w()
  }

  /** Waits until `test` holds, or throws after `timeout` ms. */
  waitFor(test: () => boolean, timeout: number, what: string): Promise<void> {
    if (test()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!test()) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}`))
      }, timeout)
      this.waiters.add(check)
    })
  }

  /** Reads the next full response, or throws on timeout or when the connection ends first. */
  async response(options: { timeout?: number; head?: boolean } = {}): Promise<RawResponse> {
    let parsed: Parsed = 'incomplete'
    await this.waitFor(
      () => {
        parsed = parseResponse(this.buf, options.head === true, this.ended)
        return parsed !== 'incomplete' || this.ended
      },
      options.timeout ?? 2000,
      'a response',
    )
    if (parsed === 'incomplete') throw new Error(`connection ended before a full response (got ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))})`)
    const { response, used } = parsed as { response: RawResponse; used: number }
    this.buf = this.buf.subarray(used)
    return response
  }

  /** Resolves once the server has closed the connection (throws after `timeout`). */
  closed(timeout = 2000): Promise<void> {
    return this.waitFor(() => this.ended, timeout, 'the connection to close')
  }

  /** Everything received and not yet consumed. */
  pending(): Buffer {
    return this.buf
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/**
 * Sends `data` on a fresh connection and returns what comes back until the server closes or
 * `timeout` passes (then `closed` is false).
 */
export async function exchange(port: number, data: string | Buffer, timeout = 2000): Promise<{ text: string; closed: boolean }> {
  const client = await RawClient.open(port)
  client.write(data)
  try {
    await client.closed(timeout)
  } catch {
    // Left open: reported through `closed`.
  }
  const out = { text: client.pending().toString('latin1'), closed: client.ended }
  client.destroy()
  return out
}

/** Sends one plain GET on a fresh connection and returns the parsed answer. */
export async function get(port: number, path = '/', extra = ''): Promise<RawResponse> {
  const client = await RawClient.open(port)
  try {
    client.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`)
    return await client.response()
  } finally {
    client.destroy()
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
