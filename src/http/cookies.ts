/** Cookie parsing (request side) and serialization (Set-Cookie), per RFC 6265. */

export interface CookieOptions {
  domain?: string
  path?: string
  /** Absolute expiry. */
  expires?: Date
  /** Lifetime in seconds; 0 or less expires the cookie at once. */
  maxAge?: number
  secure?: boolean
  httpOnly?: boolean
  sameSite?: 'Strict' | 'Lax' | 'None' | 'strict' | 'lax' | 'none'
  /** CHIPS: partitioned third-party cookie (requires `secure`). */
  partitioned?: boolean
  priority?: 'Low' | 'Medium' | 'High' | 'low' | 'medium' | 'high'
}

// RFC 6265 cookie-name is an RFC 7230 token; cookie-value excludes CTLs, whitespace, DQUOTE, comma,
// semicolon and backslash.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/
const ATTRIBUTE_VALUE = /^[\x20-\x3A\x3C-\x7E]*$/

/** Parses a Cookie header into a name → value map. The first occurrence of a name wins. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  if (!header) return out
  let start = 0
  const len = header.length
  while (start < len) {
    let end = header.indexOf(';', start)
    if (end === -1) end = len
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end) {
      const name = header.slice(start, eq).trim()
      if (name && !(name in out)) {
        let value = header.slice(eq + 1, end).trim()
        if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) {
          value = value.slice(1, -1)
        }
        out[name] = value.includes('%') ? safeDecode(value) : value
      }
    }
    start = end + 1
  }
  return out
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/**
 * Builds one Set-Cookie header value. The value is percent-encoded where it needs to be; names
 * and attribute values that cannot be represented throw a TypeError rather than produce a
 * header a browser would misread.
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!TOKEN.test(name)) throw new TypeError(`invalid cookie name: ${JSON.stringify(name)}`)
  const encoded = COOKIE_VALUE.test(value) ? value : encodeValue(value)
  let out = `${name}=${encoded}`
  if (options.maxAge !== undefined) {
    if (!Number.isFinite(options.maxAge)) throw new TypeError('cookie maxAge must be a finite number')
    out += `; Max-Age=${Math.floor(options.maxAge)}`
  }
  if (options.domain !== undefined) out += `; Domain=${checkAttribute('domain', options.domain)}`
  if (options.path !== undefined) out += `; Path=${checkAttribute('path', options.path)}`
  if (options.expires !== undefined) {
    if (Number.isNaN(options.expires.getTime())) throw new TypeError('cookie expires is an invalid date')
    out += `; Expires=${options.expires.toUTCString()}`
  }
  if (options.httpOnly) out += '; HttpOnly'
  if (options.secure) out += '; Secure'
  if (options.partitioned) out += '; Partitioned'
  if (options.priority !== undefined) out += `; Priority=${capitalize(options.priority)}`
  if (options.sameSite !== undefined) {
    const sameSite = capitalize(options.sameSite)
    if (sameSite === 'None' && !options.secure) throw new TypeError('SameSite=None cookies must be secure')
    out += `; SameSite=${sameSite}`
  }
  return out
}

function encodeValue(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    // A lone surrogate has no UTF-8 form: the same TypeError as any other unusable value.
    throw new TypeError(`invalid cookie value: ${JSON.stringify(value)}`)
  }
}

function checkAttribute(name: string, value: string): string {
  if (!ATTRIBUTE_VALUE.test(value)) throw new TypeError(`invalid cookie ${name}: ${JSON.stringify(value)}`)
  return value
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase()
}
