import { createHash, timingSafeEqual } from 'node:crypto'
import { HttpError } from '../http/errors.ts'

/**
 * Longest credentials accepted (characters after the scheme). The engine's header limit
 * already bounds them on a socket; this bounds the hashing work for `app.request()` and for
 * engines with larger limits.
 */
export const MAX_CREDENTIALS_LENGTH = 16 * 1024

/** SHA-256 of a secret. Comparing digests keeps inputs the same length, so lengths never leak. */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest()
}

/**
 * Compares two strings in time that depends on neither their contents nor their lengths.
 * For `verify` callbacks that check a secret themselves.
 */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(secretDigest(a), secretDigest(b))
}

/** The realm as an RFC 9110 quoted-string; control characters cannot be sent in a header. */
export function quoteRealm(realm: string): string {
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(realm)) throw new TypeError('realm must not contain control characters')
  return `"${realm.replace(/["\\]/g, '\\$&')}"`
}

/**
 * The credentials after `scheme` in an Authorization header, trimmed; `null` when there is no
 * header or it names another scheme. The scheme is matched case-insensitively (RFC 9110 11.1).
 */
export function credentialsOf(header: string | undefined, scheme: string): string | null {
  if (header === undefined) return null
  let start = 0
  while (start < header.length && (header.charCodeAt(start) === 32 || header.charCodeAt(start) === 9)) start++
  const end = start + scheme.length
  if (header.length < end || header.slice(start, end).toLowerCase() !== scheme) return null
  // "Basicxyz" is another scheme, not Basic with credentials "xyz".
  if (header.length > end && header.charCodeAt(end) !== 32 && header.charCodeAt(end) !== 9) return null
  return header.slice(end).trim()
}

/** The 401 answer: thrown so that the app's `onError` can shape it like its other errors. */
export function unauthorized(challenge: string): HttpError {
  return new HttpError(401, 'Unauthorized', { headers: { 'www-authenticate': challenge } })
}
