import type { Request } from '../http/request.ts'
import { Response } from '../http/response.ts'
import { evaluatePreconditions, first, hasConditions, ifRangeMatches, NOT_MODIFIED, PRECONDITION_FAILED } from './conditional.ts'
import { IGNORE, multipart, parseRange, slice, UNSATISFIABLE } from './range.ts'
import type { Representation } from './representation.ts'

/** Headers that depend on where a file is served from, not on the file. */
export interface Common {
  cacheControl: string | undefined
  /** Send `Vary: Accept-Encoding` (precompressed siblings are in play). */
  vary: boolean
  /** Content-Disposition, for `file(..., { download })`. */
  disposition: string | undefined
}

const TEXT = 'text/plain; charset=utf-8'

/**
 * Answers a GET or HEAD for one representation: 304/412 from the preconditions, 206 or
 * multipart/byteranges or 416 from Range (and If-Range), otherwise 200. Header values come
 * prebuilt from the representation and are written straight into the header map; the body is
 * the cached bytes or a file stream read as the socket drains, and HEAD gets no body at all.
 */
export function respond(req: Pick<Request, 'method' | 'headers'>, rep: Representation, common: Common): Response {
  if (!hasConditions(req.headers)) return whole(req.method === 'HEAD', rep, common)
  const h = req.headers
  const verdict = evaluatePreconditions(req.method, h, rep)
  if (verdict === NOT_MODIFIED) {
    const res = new Response(null, { status: 304 })
    validators(res, rep, common)
    return res
  }
  if (verdict === PRECONDITION_FAILED) return plain(412, 'Precondition Failed')
  const range = first(h.range)
  if (range === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return whole(req.method === 'HEAD', rep, common)
  const ifRange = first(h['if-range'])
  if (ifRange !== undefined && !ifRangeMatches(ifRange, rep)) return whole(req.method === 'HEAD', rep, common)
  const ranges = parseRange(range, rep.size)
  if (ranges === IGNORE) return whole(req.method === 'HEAD', rep, common)
  if (ranges === UNSATISFIABLE) {
    const res = plain(416, 'Range Not Satisfiable')
    res.headers.map['content-range'] = `bytes */${rep.size}`
    validators(res, rep, common)
    return res
  }
  const head = req.method === 'HEAD'
  const res = new Response(null, { status: 206 })
  const map = res.headers.map
  validators(res, rep, common)
  map['accept-ranges'] = 'bytes'
  if (rep.encoding !== undefined) map['content-encoding'] = rep.encoding
  if (common.disposition !== undefined) map['content-disposition'] = common.disposition
  if (ranges.length === 2) {
    const start = ranges[0]!
    const end = ranges[1]!
    map['content-type'] = rep.type
    map['content-range'] = `bytes ${start}-${end}/${rep.size}`
    map['content-length'] = String(end - start + 1)
    if (!head) res.body = slice(rep, start, end)
    return res
  }
  const parts = multipart(rep, ranges, !head)
  map['content-type'] = parts.contentType
  map['content-length'] = String(parts.length)
  res.body = parts.body
  return res
}

/** 200 with the whole representation. */
function whole(head: boolean, rep: Representation, common: Common): Response {
  const res = new Response(null)
  const map = res.headers.map
  map['content-type'] = rep.type
  map['content-length'] = rep.length
  map['accept-ranges'] = 'bytes'
  validators(res, rep, common)
  if (rep.encoding !== undefined) map['content-encoding'] = rep.encoding
  if (common.disposition !== undefined) map['content-disposition'] = common.disposition
  // An empty file needs no stream; HEAD never opens one.
  if (!head && rep.size > 0) res.body = rep.data ?? slice(rep, 0, rep.size - 1)
  return res
}

/** The headers a 304 must repeat (RFC 9110 §15.4.5), which every other answer carries too. */
function validators(res: Response, rep: Representation, common: Common): void {
  const map = res.headers.map
  if (rep.etag !== undefined) map.etag = rep.etag
  if (rep.lastModified !== undefined) map['last-modified'] = rep.lastModified
  if (common.cacheControl !== undefined) map['cache-control'] = common.cacheControl
  if (common.vary) map.vary = 'Accept-Encoding'
}

export function plain(status: number, message: string): Response {
  const res = new Response(null, { status })
  res.body = message
  res.headers.map['content-type'] = TEXT
  return res
}
