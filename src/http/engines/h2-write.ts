import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import type { Response } from '../response.ts'
import { discard, pump, type StreamBody } from './write.ts'

/**
 * Connection-specific headers (RFC 9113 §8.2.2) mean nothing on an HTTP/2 stream and node:http2
 * refuses a response that carries them; a handler written for HTTP/1.1 (a 426 with `upgrade`,
 * a `connection: close`) must still be answerable, so they are dropped here.
 */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'])

/** What a streamed response aborts when the client goes away mid-body (its req.signal). */
export interface StreamedRequest {
  abort(): void
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
  const map = res.headers.map
  // respond() copies the headers anyway and takes a missing :status for 200, so the usual
  // response's own map is handed over as it is rather than copied twice. (A Content-Length
  // added below then lands on the response itself: it describes that response's body.)
  const raw: OutgoingHttpHeaders = status === 200 && !hasConnectionSpecific(map) ? map : copyFor(status, map)
  const noBody = status === 204 || status === 304
  if (body === null || noBody) {
    if (noBody) delete raw['content-length']
    else if (raw['content-length'] === undefined) raw['content-length'] = '0'
    stream.respond(raw, { endStream: true })
    discard(body)
    return false
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    if (raw['content-length'] === undefined) raw['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength)
    if (head) {
      stream.respond(raw, { endStream: true })
      return false
    }
    stream.respond(raw)
    stream.end(body)
    return false
  }
  if (head) {
    stream.respond(raw, { endStream: true })
    discard(body)
    return false
  }
  stream.respond(raw)
  // The callback is made here, only for streamed bodies: most responses never need it.
  void pump(stream, body as StreamBody, sendTimeout, () => request.abort())
  return true
}

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

/** Whether any of CONNECTION_SPECIFIC is set: five lookups, no walk over the map. */
function hasConnectionSpecific(map: Readonly<Record<string, unknown>>): boolean {
  return map.connection !== undefined || map['transfer-encoding'] !== undefined || map['keep-alive'] !== undefined || map.upgrade !== undefined || map['proxy-connection'] !== undefined
}

function copyFor(status: number, map: Readonly<Record<string, string | string[]>>): OutgoingHttpHeaders {
  const raw: OutgoingHttpHeaders = { ':status': status }
  for (const name in map) {
    if (CONNECTION_SPECIFIC.has(name)) continue
    raw[name] = map[name]!
  }
  return raw
}
