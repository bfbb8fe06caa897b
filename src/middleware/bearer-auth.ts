import { timingSafeEqual } from 'node:crypto'
import type { Middleware, Next } from '../app/types.ts'
import type { Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'
import { MAX_CREDENTIALS_LENGTH, credentialsOf, quoteRealm, secretDigest, unauthorized } from './auth-common.ts'

/** Checks a bearer token; resolve `true` to let the request through. */
export type BearerAuthVerify = (token: string, req: Request) => boolean | Promise<boolean>

interface BearerAuthCommon {
  /** The protection space named in challenges (default "Restricted"). */
  realm?: string
}

export type BearerAuthOptions = BearerAuthCommon &
  (
    | {
        /** The accepted token, or several (during a rotation). Compared in constant time. */
        token: string | readonly string[]
        verify?: never
      }
    | {
        /** Your own check, e.g. a JWT verifier or a database lookup. */
        verify: BearerAuthVerify
        token?: never
      }
  )

// RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * Bearer token authentication (RFC 6750). A request without a Bearer Authorization header
 * gets 401 with `WWW-Authenticate: Bearer realm="…"`; one with a wrong or malformed token also
 * carries `error="invalid_token"`. On success `req.state.token` holds the token.
 */
export function bearerAuth(options: BearerAuthOptions): Middleware {
  const realm = quoteRealm(options.realm ?? 'Restricted')
  const missing = `Bearer realm=${realm}`
  const invalid = `Bearer realm=${realm}, error="invalid_token"`
  const verify = options.verify
  let digests: Buffer[] | null = null
  if (typeof verify !== 'function') {
    const tokens = typeof options.token === 'string' ? [options.token] : options.token
    if (!Array.isArray(tokens) || tokens.length === 0) throw new TypeError('bearerAuth needs `token` or `verify`')
    for (const t of tokens as readonly unknown[]) {
      if (typeof t !== 'string' || !B64TOKEN.test(t)) throw new TypeError('bearerAuth: every token must be a non-empty RFC 6750 b64token')
    }
    digests = tokens.map(secretDigest)
  }

  return async function bearerAuthMiddleware(req: Request, next: Next): Promise<Response> {
    const token = credentialsOf(req.header('authorization'), 'bearer')
    if (token === null) throw unauthorized(missing)
    if (token.length === 0 || token.length > MAX_CREDENTIALS_LENGTH || !B64TOKEN.test(token)) throw unauthorized(invalid)
    let ok = false
    if (digests !== null) {
      const given = secretDigest(token)
      // Every candidate is compared, so the time does not tell which one matched.
      for (let i = 0; i < digests.length; i++) if (timingSafeEqual(given, digests[i]!)) ok = true
    } else {
      ok = (await verify!(token, req)) === true
    }
    if (!ok) throw unauthorized(invalid)
    req.state.token = token
    return next()
  }
}
