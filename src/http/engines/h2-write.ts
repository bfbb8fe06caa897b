import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import type { Response } from '../response.ts'
import { discard, pump, type StreamBody, type StreamedRequest } from './write.ts'
import { httpDate } from '../date.ts'

/**
 * Connection-specific headers (RFC 9113 §8.2.2) mean nothing on an HTTP/2 stream and node:http2
 * refuses a response that carries them; a handler written for HTTP/1.1 (a 426 with `upgrade`,
 * a `connection: close`) must still be answerable, so they are dropped here.
 */
function isConnectionSpecific(name: string): boolean {
  // A switch on names (interned strings, compared by reference) costs less than a Set lookup,
  // run for every header of every response.
  switch (name) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-connection':
    case 'transfer-encoding':
    case 'upgrade':
      return true
    default:
      return false
  }
}

/**
 * Writes a weft Response on an HTTP/2 stream: one HEADERS frame (with END_STREAM when there is
 * no body), bytes in one end(), streams pumped with backpressure by the same pump as HTTP/1.1
 * (an HTTP/2 stream's write() returns false once its flow-control window and buffer are full).
 * Returns true when a streamed body is still being written.
 */
export function writeH2Response(stream: ServerHttp2Stream, res: Response, head: boolean, sendTimeout: number, request: StreamedRequest): boolean {
  const body = res.body
  // A destroyed stream is closed as well; `closed` is the cheaper of the two to read.
  if (stream.closed) {
    discard(body)
    return false
  }
  let status = res.status
  if (!(Number.isInteger(status) && status >= 200 && status <= 999)) status = 500
  // respond() copies these headers into an object of its own, then sets :status and (when
  // missing) Date on the copy. Adding a property there is a store V8 resolves anew on every
  // response, a measurable share of the request's cost: both are given here, so node only
  // overwrites. A Date from the handler, copied after ours, wins. Content-Type and
  // Content-Length have their slots from the start (node skips a header whose value is
  // undefined), so the common response fills the object without growing it.
  let raw: OutgoingHttpHeaders
  const own = res._headers
  if (own === null) {
    // A response whose headers nobody asked for has only its Content-Type (see Response):
    // it fills the one shared object, which respond() has copied by the time it returns.
    raw = PLAIN_HEADERS
    raw[':status'] = status
    raw.date = httpDate()
    raw['content-type'] = res._type ?? undefined
    raw['content-length'] = undefined
  } else {
    raw = { ':status': status, date: httpDate(), 'content-type': undefined, 'content-length': undefined }
    const map = own.map
    for (const name in map) {
      if (isConnectionSpecific(name)) continue
      raw[name] = map[name]!
    }
  }
  const noBody = status === 204 || status === 304
  // What follows the HEADERS frame: nothing, the bytes in one end(), or a pumped stream.
  let rest: typeof HEADERS_ONLY | typeof BYTES | typeof STREAMED
  if (body === null || noBody) {
    if (noBody) raw['content-length'] = undefined
    else if (raw['content-length'] === undefined) raw['content-length'] = '0'
    rest = HEADERS_ONLY
  } else if (typeof body === 'string' || body instanceof Uint8Array) {
    if (raw['content-length'] === undefined) raw['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength)
    rest = head ? HEADERS_ONLY : BYTES
  } else rest = head ? HEADERS_ONLY : STREAMED
  stream.respond(raw, rest === HEADERS_ONLY ? END_STREAM : undefined)
  if (rest === HEADERS_ONLY) {
    discard(body)
    return false
  }
  if (rest === BYTES) {
    stream.end(body as string | Uint8Array)
    return false
  }
  void pump(stream, body as StreamBody, sendTimeout, request)
  return true
}

/** The headers of every response that has no header map (see above); never kept by node. */
const PLAIN_HEADERS: OutgoingHttpHeaders = { ':status': 200, date: '', 'content-type': undefined, 'content-length': undefined }

const HEADERS_ONLY = 0
const BYTES = 1
const STREAMED = 2
const END_STREAM = { endStream: true }

/**
 * After a complete response to a request whose body is still arriving, the rest of the body is
 * not wanted: RST_STREAM(NO_ERROR) tells the client to stop sending (RFC 9113 §8.1) and frees
 * the stream's slot, where HTTP/1.1 would have had to close the connection.
 */
export function stopUnreadBody(stream: ServerHttp2Stream): void {
  if (stream.readableEnded || stream.destroyed) return
  if (stream.writableFinished) stream.close(constants.NGHTTP2_NO_ERROR)
  else stream.once('finish', () => stream.close(constants.NGHTTP2_NO_ERROR))
}
