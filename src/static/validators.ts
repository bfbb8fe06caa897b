/**
 * Validators for a file: an ETag made from its size and modification time (no hashing, so it
 * costs nothing to compute and changes whenever either does), and Last-Modified.
 */

/**
 * `"<size>-<mtime in µs>"` in hex, with `-<coding>` for a precompressed variant so that each
 * variant validates only itself. "Strong" trusts that a file rewritten with the same size keeps
 * no mtime within the same microsecond, which is the same bet nginx and Apache make.
 */
export function makeEtag(size: number, mtimeMs: number, weak: boolean, encoding: string | undefined): string {
  const tag = `"${size.toString(16)}-${Math.round(mtimeMs * 1000).toString(16)}${encoding === undefined ? '' : `-${encoding}`}"`
  return weak ? `W/${tag}` : tag
}

/** An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`). */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString()
}

/** Seconds since the epoch for an HTTP date, or NaN when it is not one. */
export function parseHttpDate(value: string): number {
  return Math.floor(Date.parse(value) / 1000)
}

/**
 * Whether an If-Match / If-None-Match list matches `etag`. `weak` selects the weak comparison
 * (If-None-Match), where `W/"x"` and `"x"` match; the strong one (If-Match, If-Range) needs both
 * tags strong and equal. `*` matches any current representation.
 */
export function etagListMatches(header: string, etag: string | undefined, weak: boolean): boolean {
  // The usual case, a client echoing the tag it was given, needs no parsing.
  if (etag !== undefined && header === etag) return weak || !etag.startsWith('W/')
  let i = 0
  const n = header.length
  while (i < n) {
    const c = header.charCodeAt(i)
    // Skip separators and whitespace between members.
    if (c === 44 || c === 32 || c === 9) {
      i++
      continue
    }
    if (c === 42) return true // '*'
    let tagWeak = false
    if (c === 87 && header.charCodeAt(i + 1) === 47) {
      tagWeak = true
      i += 2
    }
    if (header.charCodeAt(i) !== 34) return false // not an entity-tag: malformed list, no match
    const close = header.indexOf('"', i + 1)
    if (close === -1) return false
    if (etag !== undefined) {
      const ours = etag.startsWith('W/') ? etag.slice(2) : etag
      const oursWeak = ours !== etag
      if (header.slice(i, close + 1) === ours && (weak || (!tagWeak && !oursWeak))) return true
    }
    i = close + 1
  }
  return false
}
