import { malformed } from './multipart-parser.ts'

/** What a part's headers say about it. */
export interface PartInfo {
  name: string
  filename: string | undefined
  type: string
  headers: Record<string, string>
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const BAD_CHARS = /[\r\n\0]/
// RFC 2046 §5.1.1: 1–70 characters from bchars, not ending with a space.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/

/** A header value split into its first item and `; key=value` parameters (keys lower-cased). */
export function parseParams(value: string): { value: string; params: Record<string, string> } | null {
  const params: Record<string, string> = Object.create(null) as Record<string, string>
  let i = value.indexOf(';')
  const first = (i === -1 ? value : value.slice(0, i)).trim().toLowerCase()
  if (i === -1) return { value: first, params }
  const n = value.length
  while (i < n) {
    // At a ';': skip it and whitespace, read key '=' value.
    i++
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++
    if (i >= n) break
    const eq = value.indexOf('=', i)
    if (eq === -1) return null
    const key = value.slice(i, eq).trim().toLowerCase()
    if (!TOKEN.test(key)) return null
    i = eq + 1
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++
    let v = ''
    if (value[i] === '"') {
      i++
      let closed = false
      while (i < n) {
        const c = value[i++]!
        if (c === '\\' && i < n) v += value[i++]
        else if (c === '"') {
          closed = true
          break
        } else v += c
      }
      if (!closed) return null
      while (i < n && value[i] !== ';') {
        if (value[i] !== ' ' && value[i] !== '\t') return null
        i++
      }
    } else {
      const semi = value.indexOf(';', i)
      const end = semi === -1 ? n : semi
      v = value.slice(i, end).trim()
      i = end
    }
    // The first occurrence wins; a repeated parameter cannot override it.
    if (!(key in params)) params[key] = v
  }
  return { value: first, params }
}

/** The boundary of a multipart Content-Type; a missing or invalid one answers 400. */
export function boundaryOf(contentType: string): string {
  const parsed = parseParams(contentType)
  const boundary = parsed?.params.boundary
  if (boundary === undefined) throw malformed('the Content-Type has no boundary parameter')
  if (!BOUNDARY.test(boundary)) throw malformed('the boundary parameter is not a valid boundary')
  return boundary
}

/** Parses a part's header block (RFC 7578 §4): Content-Disposition with a name is required. */
export function parsePartHeaders(block: Buffer): PartInfo {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>
  if (block.length > 0) {
    for (const line of block.toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':')
      // No obsolete line folding, no bare CR/LF/NUL: either could smuggle a header past us.
      if (colon <= 0 || BAD_CHARS.test(line)) throw malformed('invalid part header line')
      const name = line.slice(0, colon).toLowerCase()
      if (!TOKEN.test(name)) throw malformed('invalid part header name')
      const value = line.slice(colon + 1).trim()
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value
    }
  }
  const disposition = headers['content-disposition']
  if (disposition === undefined) throw malformed('a part has no Content-Disposition header')
  const parsed = parseParams(disposition)
  if (parsed === null || parsed.value !== 'form-data') throw malformed('a part\'s Content-Disposition is not "form-data; name=…"')
  const name = parsed.params.name
  if (name === undefined) throw malformed('a part has no name')
  let filename = parsed.params.filename
  const extended = parsed.params['filename*']
  if (extended !== undefined) filename = decodeExtended(extended) ?? filename
  const type = headers['content-type'] ?? (filename === undefined ? 'text/plain' : 'application/octet-stream')
  return { name, filename, type, headers }
}

/** An RFC 8187 ext-value (`UTF-8''na%C3%AFve.txt`); null when it cannot be decoded. */
function decodeExtended(value: string): string | null {
  const m = /^([\w!#$%&+^`{}~-]+)'[\w-]*'(.*)$/.exec(value)
  if (m === null) return null
  const charset = m[1]!.toLowerCase()
  try {
    if (charset === 'utf-8') return decodeURIComponent(m[2]!)
    if (charset === 'iso-8859-1') return unescape(m[2]!)
  } catch {
    // Malformed percent-encoding: fall back to the plain filename parameter.
  }
  return null
}
