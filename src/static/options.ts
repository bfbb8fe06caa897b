import * as zlib from 'node:zlib'
import type { Request } from '../http/request.ts'

/** What to do with paths that have a segment starting with a dot (`.env`, `.git/config`). */
export type Dotfiles = 'deny' | 'allow' | 'ignore'

/** Content codings a precompressed sibling may have: `.br`, `.gz`, `.zst`. */
export type Encoding = 'br' | 'gzip' | 'zstd'

/** Options for `serveStatic()`, `app.static()` and (in part) `file()`. */
export interface StaticOptions {
  /** `Cache-Control: public, max-age=N`: seconds, or a string such as `'30s'`, `'10m'`, `'2h'`, `'1d'`, `'1w'`, `'1y'` (default 0). */
  maxAge?: number | string
  /** Adds `immutable` to Cache-Control, for file names that change when their content does. */
  immutable?: boolean
  /** Replaces the Cache-Control header entirely (`false` sends none); `maxAge`/`immutable` are then ignored. */
  cacheControl?: string | false
  /** ETag from size and modification time: `'strong'` (default), `'weak'`, or `false` for none. */
  etag?: 'strong' | 'weak' | false
  /** Send `Last-Modified` and honour date preconditions (default true). */
  lastModified?: boolean
  /** File(s) served for a directory (default `'index.html'`); `false` for none. */
  index?: string | readonly string[] | false
  /** An HTML listing for directories without an index file (default false). */
  listing?: boolean
  /**
   * Single-page-app fallback: a file (relative to the root; `true` means `'index.html'`) served
   * for GET/HEAD requests that match no file and whose last segment has no extension.
   */
  spa?: boolean | string
  /** `'deny'` (default): 403; `'ignore'`: treated as missing (404, or the next handler); `'allow'`: served. */
  dotfiles?: Dotfiles
  /**
   * Serve `file.br`, `file.gz` (and `file.zst` when this Node's zlib has zstd) in place of
   * `file` when the client accepts that coding. `true` means all of them, preferring br, then
   * zstd, then gzip; a list sets the preference order. Default false.
   */
  precompressed?: boolean | readonly Encoding[]
  /** Follow symlinks that resolve outside the root (default false: they answer 404). */
  followSymlinks?: boolean
  /** A missing file calls the next handler (default true); false answers 404 directly. */
  fallthrough?: boolean
  /**
   * In-memory cache of file metadata and of small files' bytes, checked against the file's
   * size and mtime at most every `revalidate` ms. `false` stats every request and streams
   * every body.
   */
  cache?: false | CacheOptions
}

export interface CacheOptions {
  /** Milliseconds a cached stat is trusted before the file is checked again (default 1000). */
  revalidate?: number
  /** Files up to this many bytes are kept in memory (default 256 KiB). */
  maxFileSize?: number
  /** Bytes of file content kept in memory in all (default 16 MiB). */
  maxSize?: number
  /** Paths remembered in all (default 4096). */
  maxEntries?: number
}

/** Options for the `file()` response helper. */
export interface FileOptions extends Pick<StaticOptions, 'maxAge' | 'immutable' | 'cacheControl' | 'etag' | 'lastModified' | 'precompressed' | 'dotfiles' | 'followSymlinks'> {
  /** The request being answered: enables 304/412, ranges, HEAD and precompressed siblings. */
  req?: Request
  /**
   * Resolve `path` inside this directory with the same checks as `serveStatic` (no `..`,
   * dotfiles policy, no symlinks out of it): for names that come from the client.
   */
  root?: string
  /** Content-Type to send instead of the one from the extension. */
  type?: string
  /** `Content-Disposition: attachment`, with this file name (`true`: the file's own name). */
  download?: boolean | string
}

/** The options with defaults applied and header strings built once. */
export interface Resolved {
  cacheControl: string | undefined
  etag: 'strong' | 'weak' | false
  lastModified: boolean
  index: readonly string[]
  listing: boolean
  spa: string | null
  dotfiles: Dotfiles
  encodings: readonly Encoding[]
  followSymlinks: boolean
  fallthrough: boolean
  cache: Required<CacheOptions> | null
}

/** Whether this Node's zlib has zstd (Node 22.15 and later). */
export const ZSTD_AVAILABLE = typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function'

const ALL_ENCODINGS: readonly Encoding[] = ['br', 'zstd', 'gzip']

export function resolveOptions(options: StaticOptions): Resolved {
  let encodings: Encoding[] = []
  const pre = options.precompressed
  if (pre === true) encodings = ALL_ENCODINGS.slice()
  else if (Array.isArray(pre)) {
    for (const e of pre as readonly Encoding[]) {
      if (!ALL_ENCODINGS.includes(e)) throw new TypeError(`precompressed: unknown encoding ${JSON.stringify(e)} (expected br, gzip or zstd)`)
      encodings.push(e)
    }
  }
  // A .zst file is only offered when this Node could also make one (the compress() middleware
  // and the client agree on what is supported).
  if (!ZSTD_AVAILABLE) encodings = encodings.filter((e) => e !== 'zstd')
  const index = options.index === false ? [] : typeof options.index === 'string' ? [options.index] : (options.index ?? ['index.html'])
  for (const name of index) checkName('index', name)
  const spa = options.spa === true ? 'index.html' : typeof options.spa === 'string' ? options.spa : null
  if (spa !== null) checkName('spa', spa)
  const dotfiles = options.dotfiles ?? 'deny'
  if (dotfiles !== 'deny' && dotfiles !== 'allow' && dotfiles !== 'ignore') throw new TypeError(`dotfiles must be 'deny', 'allow' or 'ignore'`)
  const etag = options.etag ?? 'strong'
  if (etag !== 'strong' && etag !== 'weak' && etag !== false) throw new TypeError(`etag must be 'strong', 'weak' or false`)
  let cache: Required<CacheOptions> | null = null
  if (options.cache !== false) {
    const c = options.cache ?? {}
    cache = {
      revalidate: nonNegative('cache.revalidate', c.revalidate ?? 1000),
      maxFileSize: nonNegative('cache.maxFileSize', c.maxFileSize ?? 256 * 1024),
      maxSize: nonNegative('cache.maxSize', c.maxSize ?? 16 * 1024 * 1024),
      maxEntries: nonNegative('cache.maxEntries', c.maxEntries ?? 4096),
    }
  }
  return {
    cacheControl: cacheControlHeader(options),
    etag,
    lastModified: options.lastModified !== false,
    index,
    listing: options.listing === true,
    spa,
    dotfiles,
    encodings,
    followSymlinks: options.followSymlinks === true,
    fallthrough: options.fallthrough !== false,
    cache,
  }
}

/** The Cache-Control value the options ask for, built once rather than per request. */
export function cacheControlHeader(options: Pick<StaticOptions, 'maxAge' | 'immutable' | 'cacheControl'>): string | undefined {
  if (options.cacheControl === false) return undefined
  if (typeof options.cacheControl === 'string') {
    if (/[\r\n\0]/.test(options.cacheControl)) throw new TypeError('cacheControl must not contain CR, LF or NUL')
    return options.cacheControl
  }
  const seconds = parseMaxAge(options.maxAge ?? 0)
  return `public, max-age=${seconds}${options.immutable === true ? ', immutable' : ''}`
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 }

/** 3600, '3600', '1h', '1.5d' → seconds (whole, never negative). */
export function parseMaxAge(value: number | string): number {
  if (typeof value === 'number') {
    if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`maxAge must be a non-negative number of seconds, got ${value}`)
    return Math.floor(value)
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*$/i.exec(value)
  if (m === null) throw new TypeError(`invalid maxAge: ${JSON.stringify(value)} (expected seconds or e.g. '1d')`)
  return Math.floor(Number(m[1]) * UNIT_SECONDS[(m[2] ?? 's').toLowerCase()]!)
}

function nonNegative(name: string, n: number): number {
  if (!(n >= 0)) throw new RangeError(`${name} must be a non-negative number`)
  return n
}

/** Index and SPA file names are relative paths inside the root; refuse anything that is not. */
function checkName(option: string, name: string): void {
  if (name === '' || name.startsWith('/') || name.includes('\\') || name.includes('\0') || name.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new TypeError(`${option}: ${JSON.stringify(name)} must be a relative path inside the root`)
  }
}
