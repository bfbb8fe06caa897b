import { performance } from 'node:perf_hooks'
import type { Middleware, Next } from '../app/types.ts'
import type { Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'

export interface LoggerOptions {
  /**
   * 'text' (default): `GET /users/1 200 15B 0.4ms`.
   * 'json': `{"method":"GET","path":"/users/1","status":200,"bytes":15,"ms":0.4}` plus
   * `requestId` when `requestId()` (or anything else) put one in `req.state.requestId`.
   */
  format?: 'text' | 'json'
  /** Receives each line, without a newline (default: written to process.stdout). */
  sink?: (line: string) => void
}

const writeStdout = (line: string): void => {
  process.stdout.write(line + '\n')
}

// Spaces and control characters would let a request forge extra fields or lines in a text log.
// node:http refuses them in the request target; other engines and app.request() might not.
const UNSAFE_TEXT = /[\x00-\x20\x7f]/
const UNSAFE_TEXT_ALL = /[\x00-\x20\x7f]/g

/**
 * Logs one line per request once its response is produced: method, path (without the query),
 * status, body size and the time the app took. The body size comes from Content-Length or a
 * string/bytes body; a streamed body is logged as '-' (counting it would mean wrapping the
 * stream), and so the logger never touches a stream or its backpressure. The time is measured
 * to when the response is ready, not to when its last byte is sent.
 */
export function logger(options: LoggerOptions = {}): Middleware {
  const format = options.format ?? 'text'
  if (format !== 'text' && format !== 'json') throw new TypeError(`logger: unknown format ${JSON.stringify(format)}`)
  const sink = options.sink ?? writeStdout
  const json = format === 'json'

  return async function loggerMiddleware(req: Request, next: Next): Promise<Response> {
    const start = performance.now()
    const res = await next()
    const ms = performance.now() - start
    const bytes = bodySize(req, res)
    let line: string
    if (json) {
      const id = req.state.requestId
      line = JSON.stringify({
        method: req.method,
        path: req.path,
        status: res.status,
        bytes,
        ms: Math.round(ms * 1000) / 1000,
        requestId: typeof id === 'string' ? id : undefined,
      })
    } else {
      const path = UNSAFE_TEXT.test(req.path) ? req.path.replace(UNSAFE_TEXT_ALL, escapeChar) : req.path
      line = `${req.method} ${path} ${res.status} ${bytes === null ? '-' : `${bytes}B`} ${ms.toFixed(1)}ms`
    }
    try {
      sink(line)
    } catch (error) {
      // The response is already made (and may hold an open stream): a failing sink must not
      // replace it with a 500, so the failure is reported on the side.
      process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'WeftLoggerWarning')
    }
    return res
  }
}

/** The body size in bytes when it is known without reading the body; null otherwise. */
function bodySize(req: Request, res: Response): number | null {
  const status = res.status
  if (req.method === 'HEAD' || status === 204 || status === 304 || status < 200) return 0
  // Read without `res.headers`, which would make a header map for a response that has none
  // (and so no Content-Length): the logger would cost every response that allocation.
  const declared = res._headers?.map['content-length']
  if (typeof declared === 'string') {
    const n = Number(declared)
    if (Number.isSafeInteger(n) && n >= 0) return n
  }
  const body = res.body
  if (body === null) return 0
  if (typeof body === 'string') return Buffer.byteLength(body)
  if (body instanceof Uint8Array) return body.byteLength
  return null
}

function escapeChar(c: string): string {
  return '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')
}
