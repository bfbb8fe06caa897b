import { randomBytes, randomUUID } from 'node:crypto'
import type { Middleware, Next } from '../app/types.ts'
import { ResponseHeaders } from '../http/headers.ts'
import type { Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'

export interface RequestIdOptions {
  /** Request and response header carrying the id (default `X-Request-Id`). */
  header?: string
  /**
   * Reuse a sane incoming id (1–200 visible ASCII characters) so one id follows a request
   * through proxies and services (default true). `false` always generates a fresh one.
   */
  trustIncoming?: boolean
  /**
   * How new ids are made: 'uuid' (default, `crypto.randomUUID()`), 'counter' (a random
   * per-process prefix and a counter: cheaper, unique, but guessable and reveals request
   * volume), or your own function.
   */
  generate?: 'uuid' | 'counter' | (() => string)
}

/** Longest incoming id reused; longer ones are replaced, not truncated. */
export const MAX_REQUEST_ID_LENGTH = 200
const SANE_ID = /^[\x21-\x7e]+$/

/**
 * Gives every request an id: the client's or proxy's `X-Request-Id` when it is sane, a new
 * one otherwise. It is stored in `req.state.requestId` (the logger prints it) and sent back in
 * the same response header.
 */
export function requestId(options: RequestIdOptions = {}): Middleware {
  const header = (options.header ?? 'X-Request-Id').toLowerCase()
  new ResponseHeaders().set(header, 'x') // validates the name now rather than on every response
  const trustIncoming = options.trustIncoming !== false
  const generate = generatorFor(options.generate ?? 'uuid')

  return async function requestIdMiddleware(req: Request, next: Next): Promise<Response> {
    let id: string | undefined
    if (trustIncoming) {
      const incoming = req.headers[header]
      // A repeated header arrives as an array (or joined with ", "): neither is one sane id.
      if (typeof incoming === 'string' && incoming.length <= MAX_REQUEST_ID_LENGTH && SANE_ID.test(incoming)) id = incoming
    }
    if (id === undefined) id = generate()
    req.state.requestId = id
    const res = await next()
    res.headers.set(header, id)
    return res
  }
}

function generatorFor(option: NonNullable<RequestIdOptions['generate']>): () => string {
  if (typeof option === 'function') return option
  if (option === 'uuid') return randomUUID
  if (option === 'counter') return counterIds()
  throw new TypeError(`requestId: unknown generate option ${JSON.stringify(option)}`)
}

/** `<12 random hex>-<base-36 counter>`: unique per process without a syscall per request. */
function counterIds(): () => string {
  const prefix = randomBytes(6).toString('hex') + '-'
  let n = 0
  return () => prefix + (++n).toString(36)
}
