import type { Middleware, Next } from '../app/types.ts'
import { tooLarge } from '../http/body.ts'
import type { Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'

/** A size in bytes, or a string such as '512kb', '10mb', '1gb' (1 kb = 1024 bytes). */
export type ByteSize = number | string

export interface BodyLimitOptions {
  /** Largest request body accepted, in bytes or as '10mb'. `Infinity` lifts the limit. */
  limit: ByteSize
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

/** Turns 10_000, '10000', '512kb' or '1.5mb' into bytes; anything else is a TypeError. */
export function parseByteSize(size: ByteSize): number {
  if (typeof size === 'number') {
    if (!(size >= 0)) throw new RangeError(`body limit must be a non-negative number, got ${size}`)
    return Math.floor(size)
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(String(size))
  if (m === null) throw new TypeError(`invalid size: ${JSON.stringify(size)} (expected bytes or e.g. '10mb')`)
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!)
}

/**
 * Sets the request body limit for the routes it applies to. The body readers (`req.text()`,
 * `req.json()`, `req.chunks()`, …) answer 413 once more than the limit arrives, chunked or
 * not; a Content-Length that already says too much is answered 413 here, before `next()` and
 * without reading a byte of the body.
 */
export function bodyLimit(options: ByteSize | BodyLimitOptions): Middleware {
  const limit = parseByteSize(typeof options === 'object' && options !== null ? options.limit : options)
  return function bodyLimitMiddleware(req: Request, next: Next): Promise<Response> {
    req.bodyLimit = limit
    const declared = req.headers['content-length']
    // Same test as Request.chunks(): node:http has already refused malformed or conflicting
    // lengths, and a length too big for a double still compares as larger.
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit)
    return next()
  }
}
