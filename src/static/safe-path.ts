import { sep } from 'node:path'
import type { Dotfiles } from './options.ts'

/** Why a request path cannot name a file under the root. */
export const FORBIDDEN = 0
/** A dotfile the policy says to treat as absent. */
export const IGNORED = 1

/**
 * Splits a request path (still percent-encoded, as on the wire) into decoded segments that are
 * safe to join under the root, or says why not. Each segment is decoded on its own, so an
 * encoded slash (`%2f`) cannot create a new segment; after decoding, a segment may not be `.`
 * or `..` nor contain `/`, `\` or NUL; an escape that is not valid UTF-8 (including overlong
 * forms such as `%c0%ae`) fails to decode. Decoding happens once: `%252e` is the literal name
 * `%2e`, never `.`. Empty segments (`//`) are dropped.
 */
export function splitRequestPath(raw: string, dotfiles: Dotfiles): string[] | typeof FORBIDDEN | typeof IGNORED {
  // A backslash is a separator on Windows and never needed in a URL path: refuse it outright.
  if (raw.indexOf('\\') !== -1 || raw.indexOf('\0') !== -1) return FORBIDDEN
  const out: string[] = []
  let ignored = false
  let start = 0
  for (let i = 0; i <= raw.length; i++) {
    if (i !== raw.length && raw.charCodeAt(i) !== 47) continue
    if (i > start) {
      let seg = raw.slice(start, i)
      if (seg.indexOf('%') !== -1) {
        try {
          seg = decodeURIComponent(seg)
        } catch {
          return FORBIDDEN
        }
        if (seg.indexOf('/') !== -1 || seg.indexOf('\\') !== -1 || seg.indexOf('\0') !== -1) return FORBIDDEN
      }
      if (seg === '.' || seg === '..') return FORBIDDEN
      if (seg.charCodeAt(0) === 46 && dotfiles !== 'allow') {
        if (dotfiles === 'deny') return FORBIDDEN
        ignored = true
      }
      out.push(seg)
    }
    start = i + 1
  }
  return ignored ? IGNORED : out
}

/**
 * The same checks for a path a handler passes to `file(path, { root })`: already decoded, so
 * no percent-decoding, and an absolute path is refused rather than joined.
 */
export function splitRelativePath(path: string, dotfiles: Dotfiles): string[] | typeof FORBIDDEN | typeof IGNORED {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return FORBIDDEN
  return splitRequestPath(path.replace(/%/g, '%25'), dotfiles)
}

/** Whether `target` is `root` or lies below it (both absolute and normalized). */
export function isInside(root: string, target: string): boolean {
  if (target === root) return true
  const base = root.endsWith(sep) ? root : root + sep
  return target.startsWith(base)
}
