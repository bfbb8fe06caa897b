import type { IncomingHeaders } from '../http/request.ts'
import type { Representation } from './representation.ts'
import { etagListMatches, parseHttpDate } from './validators.ts'

/** Outcome of the preconditions: go on, 304 Not Modified, or 412 Precondition Failed. */
export const PROCEED = 0
export const NOT_MODIFIED = 304
export const PRECONDITION_FAILED = 412

/** True when a request carries any header that can change a plain 200 (checked first, cheaply). */
export function hasConditions(h: IncomingHeaders): boolean {
  return h['if-none-match'] !== undefined || h['if-modified-since'] !== undefined || h['if-match'] !== undefined || h['if-unmodified-since'] !== undefined || h.range !== undefined
}

/**
 * Evaluates the preconditions in the order RFC 9110 §13.2.2 gives: If-Match, else
 * If-Unmodified-Since (412 when they fail); then If-None-Match, else If-Modified-Since (304 for
 * GET/HEAD, 412 for other methods). Date preconditions are skipped when a strong tag decides
 * the same question, and when Last-Modified is turned off (there is no date to compare).
 */
export function evaluatePreconditions(method: string, h: IncomingHeaders, rep: Representation): number {
  const ifMatch = first(h['if-match'])
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, rep.etag, false)) return PRECONDITION_FAILED
  } else {
    const ius = first(h['if-unmodified-since'])
    if (ius !== undefined && rep.lastModified !== undefined && ius !== rep.lastModified) {
      const since = parseHttpDate(ius)
      // An invalid date is ignored, as the RFC asks.
      if (since === since && rep.mtimeSeconds > since) return PRECONDITION_FAILED
    }
  }
  const getOrHead = method === 'GET' || method === 'HEAD'
  const inm = first(h['if-none-match'])
  if (inm !== undefined) {
    if (etagListMatches(inm, rep.etag, true)) return getOrHead ? NOT_MODIFIED : PRECONDITION_FAILED
  } else if (getOrHead) {
    const ims = first(h['if-modified-since'])
    if (ims !== undefined && rep.lastModified !== undefined) {
      if (ims === rep.lastModified) return NOT_MODIFIED
      const since = parseHttpDate(ims)
      if (since === since && rep.mtimeSeconds <= since) return NOT_MODIFIED
    }
  }
  return PROCEED
}

/**
 * Whether If-Range lets a Range apply: an entity-tag must match strongly, a date must equal
 * Last-Modified exactly (RFC 9110 §13.1.5). Otherwise the whole representation is sent.
 */
export function ifRangeMatches(value: string, rep: Representation): boolean {
  const v = value.trim()
  if (v.startsWith('"') || v.startsWith('W/"')) return rep.etag !== undefined && !rep.etag.startsWith('W/') && v === rep.etag
  return rep.lastModified !== undefined && v === rep.lastModified
}

export function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v
}
