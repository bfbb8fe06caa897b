import type { Middleware, Next } from '../app/types.ts'
import type { Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'
import { MAX_CREDENTIALS_LENGTH, credentialsOf, quoteRealm, secretDigest, unauthorized } from './auth-common.ts'
import { randomBytes, timingSafeEqual } from 'node:crypto'

/** Checks a user name and password; resolve `true` to let the request through. */
export type BasicAuthVerify = (user: string, password: string, req: Request) => boolean | Promise<boolean>

interface BasicAuthCommon {
  /** Shown by browsers in the login prompt (default "Restricted"). */
  realm?: string
}

export type BasicAuthOptions = BasicAuthCommon &
  (
    | {
        /** user name → password. Compared in constant time. */
        users: Readonly<Record<string, string>>
        verify?: never
      }
    | {
        /** Your own check (use `safeEqual` when comparing secrets yourself). */
        verify: BasicAuthVerify
        users?: never
      }
  )

// Base64 alphabet with optional padding (RFC 4648 4); anything else is malformed rather than
// silently skipped, as Buffer.from(…, 'base64') would.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
// RFC 7617 2: neither the user id nor the password may contain control characters.
const CONTROL = /[\x00-\x1f\x7f]/
// Compared against when the user is unknown, so that unknown users cost the same as known ones;
// random, so that no password can hash to it.
const NO_SUCH_USER = randomBytes(32)

/**
 * HTTP Basic authentication (RFC 7617). Requests without valid credentials get 401 with
 * `WWW-Authenticate: Basic realm="…"`; on success `req.state.user` holds the user name.
 */
export function basicAuth(options: BasicAuthOptions): Middleware {
  const challenge = `Basic realm=${quoteRealm(options.realm ?? 'Restricted')}, charset="UTF-8"`
  const verify = options.verify
  let digests: Map<string, Buffer> | null = null
  if (typeof verify !== 'function') {
    if (options.users === null || typeof options.users !== 'object') throw new TypeError('basicAuth needs `users` or `verify`')
    // A Map, not the object itself: a user named "__proto__" or "constructor" must not find
    // something on Object.prototype.
    digests = new Map()
    for (const [user, password] of Object.entries(options.users)) digests.set(user, secretDigest(password))
  }

  return async function basicAuthMiddleware(req: Request, next: Next): Promise<Response> {
    const credentials = credentialsOf(req.header('authorization'), 'basic')
    if (credentials === null || credentials.length === 0 || credentials.length > MAX_CREDENTIALS_LENGTH) throw unauthorized(challenge)
    if (!BASE64.test(credentials) || credentials.length % 4 === 1 || (credentials.length % 4 !== 0 && credentials.includes('='))) {
      throw unauthorized(challenge)
    }
    const decoded = Buffer.from(credentials, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1 || CONTROL.test(decoded)) throw unauthorized(challenge)
    const user = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    let ok: boolean
    if (digests !== null) {
      const expected = digests.get(user)
      const match = timingSafeEqual(secretDigest(password), expected ?? NO_SUCH_USER)
      ok = match && expected !== undefined
    } else {
      ok = (await verify!(user, password, req)) === true
    }
    if (!ok) throw unauthorized(challenge)
    req.state.user = user
    return next()
  }
}
