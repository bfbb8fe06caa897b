import { createReadStream } from 'node:fs'
import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { Representation } from './representation.ts'

/** Inclusive byte ranges, `[start, end]` pairs flattened: [s0, e0, s1, e1, …]. */
export type Ranges = number[]

/** The Range header is to be ignored (not `bytes`, malformed, or too many parts): send 200. */
export const IGNORE = 0
/** No range overlaps the file: 416 with `Content-Range: bytes *\/size`. */
export const UNSATISFIABLE = 1

/** More parts than this are answered with the whole file: many tiny ranges cost more than they save. */
const MAX_RANGES = 64

/**
 * Parses `bytes=0-99,200-,-50` against a file of `size` bytes (RFC 9110 §14.1.2). Ranges past
 * the end are clipped, unsatisfiable ones dropped. Overlapping ranges are merged (in ascending
 * order), so a client cannot make us send the same bytes many times over.
 */
export function parseRange(header: string, size: number): Ranges | typeof IGNORE | typeof UNSATISFIABLE {
  const eq = header.indexOf('=')
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return IGNORE
  const specs = header.slice(eq + 1).split(',')
  if (specs.length > MAX_RANGES) return IGNORE
  const out: number[] = []
  let any = false
  for (const raw of specs) {
    const spec = raw.trim()
    if (spec === '') continue
    const dash = spec.indexOf('-')
    if (dash === -1) return IGNORE
    const a = spec.slice(0, dash).trim()
    const b = spec.slice(dash + 1).trim()
    if (!digits(a) || !digits(b) || (a === '' && b === '')) return IGNORE
    any = true
    let start: number
    let end: number
    if (a === '') {
      // Suffix range: the last b bytes.
      const n = Number(b)
      if (n === 0 || size === 0) continue
      start = Math.max(0, size - n)
      end = size - 1
    } else {
      start = Number(a)
      end = b === '' ? Infinity : Number(b)
      // `5-2` is not a range at all: the whole header is invalid (RFC 9110 §14.1.1).
      if (end < start) return IGNORE
      if (start >= size) continue
      if (end >= size) end = size - 1
    }
    out.push(start, end)
  }
  if (!any) return IGNORE
  if (out.length === 0) return UNSATISFIABLE
  return out.length === 2 ? out : coalesce(out)
}

function digits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  // Longer than a safe integer: not a real offset.
  return s.length <= 15
}

/** Keeps the client's order unless ranges overlap; then sorts and merges them. */
function coalesce(ranges: number[]): number[] {
  const pairs: Array<[number, number]> = []
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!])
  const sorted = pairs.slice().sort((x, y) => x[0] - y[0])
  let overlap = false
  for (let i = 1; i < sorted.length; i++) if (sorted[i]![0] <= sorted[i - 1]![1]) overlap = true
  if (!overlap) return ranges
  const merged: number[] = []
  for (const [s, e] of sorted) {
    const last = merged.length - 1
    if (last > 0 && s <= merged[last]!) merged[last] = Math.max(merged[last]!, e)
    else merged.push(s, e)
  }
  return merged
}

/** The bytes `start..end` (inclusive) of a representation: from memory, or a file stream. */
export function slice(rep: Representation, start: number, end: number): Buffer | Readable {
  if (rep.data !== undefined) return rep.data.subarray(start, end + 1)
  return createReadStream(rep.path, { start, end })
}

// A random per-process prefix and a counter make boundaries unique without drawing random
// bytes for every response; the prefix cannot be guessed to smuggle a boundary into a file.
const BOUNDARY_PREFIX = randomBytes(12).toString('hex')
let boundaryCounter = 0

export interface Multipart {
  contentType: string
  length: number
  body: AsyncIterable<Uint8Array> | null
}

/**
 * A `multipart/byteranges` body (RFC 9110 §14.6): each part has its own Content-Type and
 * Content-Range. The length is known in advance, so it is sent with Content-Length, and the
 * parts are read one after another as the socket drains.
 */
export function multipart(rep: Representation, ranges: Ranges, withBody: boolean): Multipart {
  const boundary = `${BOUNDARY_PREFIX}${(boundaryCounter = (boundaryCounter + 1) % 0x7fffffff).toString(16)}`
  const heads: Buffer[] = []
  let length = 0
  for (let i = 0; i < ranges.length; i += 2) {
    const s = ranges[i]!
    const e = ranges[i + 1]!
    const head = Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\ncontent-type: ${rep.type}\r\ncontent-range: bytes ${s}-${e}/${rep.size}\r\n\r\n`, 'latin1')
    heads.push(head)
    length += head.length + (e - s + 1)
  }
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1')
  length += tail.length
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, body: withBody ? parts(rep, ranges, heads, tail) : null }
}

async function* parts(rep: Representation, ranges: Ranges, heads: Buffer[], tail: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < ranges.length; i += 2) {
    yield heads[i / 2]!
    const part = slice(rep, ranges[i]!, ranges[i + 1]!)
    // Leaving this loop early (the client went away) destroys the stream: for await returns it.
    if (Buffer.isBuffer(part)) yield part
    else for await (const chunk of part) yield chunk as Buffer
  }
  yield tail
}
