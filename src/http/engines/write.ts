import type { ServerResponse } from 'node:http'
import { Readable, type Writable } from 'node:stream'
import type { Response } from '../response.ts'

/**
 * Writes a weft Response onto a node:http ServerResponse. Strings and bytes go out in one
 * writeHead + end with an exact Content-Length; streams are pumped with backpressure.
 */
export function writeResponse(out: ServerResponse, res: Response, head: boolean, closeAfter: boolean, sendTimeout: number, request: StreamedRequest): void {
  const body = res.body
  if (out.destroyed) {
    discard(body)
    return
  }
  let status = res.status
  if (!(Number.isInteger(status) && status >= 200 && status <= 999)) status = 500
  // A fresh plain object is what writeHead handles fastest (measured against a flat list and
  // against setHeader); the response's own map is never mutated, so a Response can be reused.
  const raw: Record<string, string | string[]> = {}
  // A response whose headers nobody asked for has only its Content-Type (see Response).
  const own = res._headers
  if (own === null) {
    if (res._type !== null) raw['content-type'] = res._type
  } else {
    const map = own.map
    for (const name in map) raw[name] = map[name]!
  }
  // When the engine must close, its `connection: close` replaces whatever the handler said.
  if (closeAfter) raw.connection = 'close'
  const noBody = status === 204 || status === 304
  if (body === null || noBody) {
    if (!noBody && raw['content-length'] === undefined) raw['content-length'] = '0'
    out.writeHead(status, raw)
    out.end()
    discard(body)
    return
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    if (raw['content-length'] === undefined) raw['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength)
    out.writeHead(status, raw)
    if (head) out.end()
    else out.end(body)
    return
  }
  out.writeHead(status, raw)
  if (head) {
    out.end()
    discard(body)
    return
  }
  void pump(out, body, sendTimeout, request)
}

/**
 * What a streamed response aborts when the client goes away mid-body (its req.signal). An
 * object rather than a callback: a closure made for every response would be made for nothing
 * by almost all of them.
 */
export interface StreamedRequest {
  abort(): void
}

/** For a response whose request has nothing left to abort (a fallback answer). */
export const NOTHING_TO_ABORT: StreamedRequest = { abort() {} }

type Chunk = Uint8Array | string
export type StreamBody = Readable | ReadableStream<Uint8Array> | AsyncIterable<Chunk>

/**
 * Sends a stream chunk by chunk, waiting for 'drain' whenever the socket buffer is full, so a
 * slow reader holds back the producer instead of growing memory. A client that goes away, or
 * stops reading for `sendTimeout` ms, ends the producer through its iterator's `return()`.
 * Shared by both engines: a ServerResponse and an HTTP/2 stream are both Writables whose
 * write() says when to wait and whose 'close' says the client is gone.
 */
export async function pump(out: Writable, body: StreamBody, sendTimeout: number, request: StreamedRequest): Promise<void> {
  const iterator = (body as AsyncIterable<Chunk>)[Symbol.asyncIterator]()
  let finished = false
  const onClose = (): void => {
    if (finished) return
    finished = true
    request.abort()
    void closeIterator(iterator)
  }
  out.once('close', onClose)
  try {
    for (;;) {
      const step = await iterator.next()
      if (finished) return
      if (step.done) break
      const chunk = step.value
      if (typeof chunk === 'string' ? chunk.length === 0 : chunk.byteLength === 0) continue
      if (!out.write(chunk)) {
        if (!(await drained(out, sendTimeout))) {
          // The 'close' that destroy() emits comes after the finally below has removed
          // onClose, so release the producer and abort req.signal here.
          onClose()
          out.destroy()
          return
        }
        if (finished) return
      }
    }
    finished = true
    out.end()
  } catch (error) {
    // The status line is gone; the only honest signal left is to cut the connection so the
    // client sees an incomplete chunked body rather than a clean end.
    finished = true
    out.destroy(error instanceof Error ? error : new Error(String(error)))
    void closeIterator(iterator)
  } finally {
    out.off('close', onClose)
  }
}

function drained(out: Writable, timeout: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer)
      out.off('drain', onDrain)
      out.off('close', onClose)
      resolve(ok)
    }
    const onDrain = (): void => done(true)
    const onClose = (): void => done(true)
    const timer = setTimeout(() => done(false), timeout)
    out.on('drain', onDrain)
    out.on('close', onClose)
  })
}

async function closeIterator(iterator: AsyncIterator<Chunk>): Promise<void> {
  try {
    await iterator.return?.()
  } catch {
    // The producer's cleanup failed after the client left; nothing is waiting for it.
  }
}

/** Releases a body that will not be sent. */
export function discard(body: Response['body']): void {
  if (body === null || typeof body === 'string' || body instanceof Uint8Array) return
  if (body instanceof Readable) body.destroy()
  else if (body instanceof ReadableStream) void body.cancel().catch(() => {})
  else {
    const it = (body as AsyncIterable<Chunk>)[Symbol.asyncIterator]()
    void closeIterator(it)
  }
}
