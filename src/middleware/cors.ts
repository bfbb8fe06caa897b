import type { Middleware, Next } from '../app/types.ts'
import type { Request } from '../http/request.ts'
import { Response } from '../http/response.ts'
import { addVary } from './vary.ts'

/**
 * Decides for one request origin: `true` allows it (the origin is echoed back), a string is
 * sent as Access-Control-Allow-Origin as is, `false` refuses it.
 */
export type CorsOriginCheck = (origin: string, req: Request) => boolean | string | Promise<boolean | string>

export interface CorsOptions {
  /**
   * Which origins may read responses (default '*'): '*' for any; an exact origin or a list
   * (`'https://example.com'`, no trailing slash); a RegExp tested against the Origin header;
   * or a function. Only the '*' without `credentials` answers the same to everyone; the
   * others echo the allowed origin and add `Vary: Origin`.
   */
  origin?: '*' | string | readonly string[] | RegExp | CorsOriginCheck
  /** Send Access-Control-Allow-Credentials (cookies, HTTP auth). With '*' the origin is echoed instead. */
  credentials?: boolean
  /** Methods announced in preflight answers (default GET, HEAD, PUT, PATCH, POST, DELETE). */
  methods?: readonly string[]
  /** Request headers announced in preflight answers (default: those the preflight asks for). */
  allowHeaders?: readonly string[]
  /** Response headers scripts may read beyond the CORS-safelisted ones (default none). */
  exposeHeaders?: readonly string[]
  /** How long (seconds) browsers may cache a preflight answer (default: not sent). */
  maxAge?: number
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']
// A serialized origin (RFC 6454): scheme "://" host [":" port], or the opaque "null". Anything
// else (several origins joined, paths, spaces, control characters) is refused, never echoed.
const ORIGIN_SYNTAX = /^(?:null|[a-z][a-z0-9+.-]*:\/\/(?:[a-z0-9\-._~%!$&'()*+,;=]+|\[[0-9a-f:.]+\])(?::\d{1,5})?)$/i
// A field-name list as sent in Access-Control-Request-Headers: tokens separated by commas.
const TOKEN_LIST = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*,[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Answers whether an origin is allowed: the Allow-Origin value, or null. */
type OriginPolicy = (origin: string, req: Request) => string | null | Promise<string | null>

/**
 * Cross-Origin Resource Sharing. Preflight requests (OPTIONS with Origin and
 * Access-Control-Request-Method) are answered here with 204 and never reach routes; a refused
 * origin's preflight gets the same 204 without any Allow headers, which the browser treats as a
 * refusal. Other requests run as usual and, when their origin is allowed, get the
 * Access-Control-Allow-Origin/-Credentials/-Expose-Headers headers.
 */
export function cors(options: CorsOptions = {}): Middleware {
  const credentials = options.credentials === true
  const option = options.origin ?? '*'
  // '*' without credentials is the only answer that does not depend on the request's Origin.
  const anyOrigin = option === '*' && !credentials
  const policy = anyOrigin ? null : compileOrigin(option)
  const methods = headerList(options.methods ?? DEFAULT_METHODS, 'methods')
  const allowHeaders = options.allowHeaders === undefined ? null : headerList(options.allowHeaders, 'allowHeaders')
  const exposeHeaders = options.exposeHeaders === undefined || options.exposeHeaders.length === 0 ? null : headerList(options.exposeHeaders, 'exposeHeaders')
  let maxAge: string | null = null
  if (options.maxAge !== undefined) {
    if (!Number.isInteger(options.maxAge) || options.maxAge < 0) throw new TypeError('cors: maxAge must be a whole number of seconds')
    maxAge = String(options.maxAge)
  }
  const preflightVary = allowHeaders === null ? (anyOrigin ? 'Access-Control-Request-Headers' : 'Origin, Access-Control-Request-Headers') : anyOrigin ? null : 'Origin'

  return async function corsMiddleware(req: Request, next: Next): Promise<Response> {
    const origin = req.header('origin')
    let allowed: string | null
    if (anyOrigin) allowed = '*'
    else if (origin === undefined || !ORIGIN_SYNTAX.test(origin)) allowed = null
    else allowed = await policy!(origin, req)

    if (req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
      const res = new Response(null, { status: 204 })
      if (allowed !== null) {
        const h = res.headers
        h.set('access-control-allow-origin', allowed)
        if (credentials) h.set('access-control-allow-credentials', 'true')
        h.set('access-control-allow-methods', methods)
        const requested = allowHeaders ?? req.header('access-control-request-headers')
        if (requested !== undefined && TOKEN_LIST.test(requested)) h.set('access-control-allow-headers', requested)
        if (maxAge !== null) h.set('access-control-max-age', maxAge)
      }
      if (preflightVary !== null) addVary(res, preflightVary)
      return res
    }

    const res = await next()
    if (allowed !== null) {
      res.headers.set('access-control-allow-origin', allowed)
      if (credentials) res.headers.set('access-control-allow-credentials', 'true')
      if (exposeHeaders !== null) res.headers.set('access-control-expose-headers', exposeHeaders)
    }
    if (!anyOrigin) addVary(res, 'Origin')
    return res
  }
}

function compileOrigin(option: NonNullable<CorsOptions['origin']>): OriginPolicy {
  // '*' with credentials: the spec forbids the wildcard there, so any origin is echoed.
  if (option === '*') return (origin) => origin
  if (typeof option === 'function') {
    const check = option
    return async (origin, req) => {
      const verdict = await check(origin, req)
      if (verdict === true) return origin
      return typeof verdict === 'string' && verdict !== '' ? verdict : null
    }
  }
  if (option instanceof RegExp) {
    // Without g/y the regex keeps no lastIndex between requests.
    const re = new RegExp(option.source, option.flags.replace(/[gy]/g, ''))
    return (origin) => (re.test(origin) ? origin : null)
  }
  const list = typeof option === 'string' ? [option] : option
  if (!Array.isArray(list)) throw new TypeError('cors: origin must be a string, a list, a RegExp or a function')
  const allowed = new Set<string>()
  for (const entry of list as readonly unknown[]) {
    if (typeof entry !== 'string') throw new TypeError('cors: origin list entries must be strings')
    if (entry === '*') throw new TypeError("cors: '*' cannot be part of an origin list; use origin: '*'")
    // Browsers send origins lower-case and without a trailing slash.
    const normalized = entry.trim().replace(/\/+$/, '').toLowerCase()
    if (!ORIGIN_SYNTAX.test(normalized)) throw new TypeError(`cors: ${JSON.stringify(entry)} is not an origin (scheme://host[:port])`)
    allowed.add(normalized)
  }
  return (origin) => (allowed.has(origin) ? origin : null)
}

function headerList(items: readonly string[], name: string): string {
  for (const item of items) if (typeof item !== 'string' || !TOKEN.test(item)) throw new TypeError(`cors: invalid entry in ${name}: ${JSON.stringify(item)}`)
  return items.join(', ')
}
