import type { Stats } from 'node:fs'
import { readFile, realpath, stat } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import type { Request } from '../http/request.ts'
import { html, Response } from '../http/response.ts'
import { BoundedCache } from './cache.ts'
import { first } from './conditional.ts'
import { contentType } from './content-type.ts'
import { chooseEncoding, EXTENSION } from './encoding.ts'
import { renderListing } from './listing.ts'
import { resolveOptions, type Encoding, type Resolved, type StaticOptions } from './options.ts'
import { makeRepresentation, type Representation } from './representation.ts'
import { isInside, splitRequestPath, FORBIDDEN, IGNORED } from './safe-path.ts'
import { plain, respond, type Common } from './send.ts'

/** A file ready to answer: its representations, shared headers and when it was last checked. */
export interface Entry {
  readonly identity: Representation
  /** Precompressed siblings that exist, and their codings, in preference order. */
  readonly variants: readonly Representation[]
  readonly encodings: readonly Encoding[]
  readonly common: Common
  checkedAt: number
  /** File content held in memory (for the cache's budget). */
  readonly bytes: number
}

type Lookup =
  | { kind: 'file'; entry: Entry }
  | { kind: 'forbidden' }
  | { kind: 'missing' }
  | { kind: 'redirect' }
  | { kind: 'listing'; dir: string }

const FORBIDDEN_LOOKUP: Lookup = { kind: 'forbidden' }
const MISSING: Lookup = { kind: 'missing' }
const REDIRECT: Lookup = { kind: 'redirect' }
/** Cache key of the SPA fallback document; no request path can contain NUL. */
const SPA_KEY = '\0spa'

/** What `handle` gives back: an answer, or null when there is no such file (fall through). */
export type StaticResult = Response | Promise<Response | null> | null

/**
 * Serves the files under one directory. `handle(req, rest)` answers for `rest`, the part of
 * the request path (still percent-encoded) below the URL prefix the directory is served at.
 *
 * The hot path is a Map lookup on that string: an entry found and checked within the last
 * `revalidate` ms answers synchronously, from memory for small files. Everything else (first
 * request, revalidation, directories, misses) goes through `lookup`, which does the path
 * checks, stats, symlink containment and reads; concurrent lookups of one path share one.
 */
export class StaticServer {
  readonly root: string
  private readonly opts: Resolved
  private readonly cache: BoundedCache<Entry> | null
  private readonly revalidate: number
  private readonly inflight = new Map<string, Promise<Lookup>>()
  private readonly common: Common
  private readonly spaCommon: Common
  private realRoot: string | null = null

  constructor(dir: string, options: StaticOptions = {}) {
    if (typeof dir !== 'string' || dir === '') throw new TypeError('serveStatic: a directory is required')
    this.root = resolve(dir)
    this.opts = resolveOptions(options)
    const c = this.opts.cache
    this.cache = c === null ? null : new BoundedCache<Entry>(c.maxEntries, c.maxSize)
    this.revalidate = c === null ? 0 : c.revalidate
    const vary = this.opts.encodings.length > 0
    this.common = { cacheControl: this.opts.cacheControl, vary, disposition: undefined }
    // The fallback document answers for many URLs and names the app's current assets: caches
    // must check it every time, whatever maxAge the real files get.
    this.spaCommon = { cacheControl: 'no-cache', vary, disposition: undefined }
  }

  handle(req: Request, rest: string): StaticResult {
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') return null
    if (this.cache !== null) {
      const entry = this.cache.get(rest)
      if (entry !== undefined && Date.now() - entry.checkedAt < this.revalidate) return this.answer(req, entry)
    }
    return this.slow(req, rest)
  }

  /** Content cache occupancy (for tests and diagnostics). */
  get cacheSize(): { entries: number; bytes: number } {
    return this.cache === null ? { entries: 0, bytes: 0 } : this.cache.size
  }

  private answer(req: Request, entry: Entry): Response {
    let rep = entry.identity
    if (entry.variants.length !== 0) {
      const i = chooseEncoding(first(req.headers['accept-encoding']), entry.encodings)
      if (i !== -1) rep = entry.variants[i]!
    }
    return respond(req, rep, entry.common)
  }

  private async slow(req: Request, rest: string): Promise<Response | null> {
    let found = await this.shared(rest, this.common)
    if (found.kind === 'missing' && this.opts.spa !== null && !hasExtension(rest)) {
      found = await this.shared(SPA_KEY, this.spaCommon)
    }
    switch (found.kind) {
      case 'file':
        return this.answer(req, found.entry)
      case 'forbidden':
        return plain(403, 'Forbidden')
      case 'redirect': {
        // Collapse leading slashes: `//evil.example/` in Location would be another host.
        const path = req.path.replace(/^\/+/, '/')
        const res = new Response(null, { status: 301 })
        res.headers.set('location', `${path}/${req.url.slice(req.path.length)}`)
        return res
      }
      case 'listing': {
        const res = html(await renderListing(found.dir, req.path, this.opts.dotfiles))
        res.headers.map['cache-control'] = 'no-cache'
        if (req.method === 'HEAD') {
          res.headers.map['content-length'] = String(Buffer.byteLength(res.body as string))
          res.body = null
        }
        return res
      }
      default:
        return this.opts.fallthrough ? null : plain(404, 'Not Found')
    }
  }

  private shared(key: string, common: Common): Promise<Lookup> {
    let p = this.inflight.get(key)
    if (p === undefined) {
      p = this.lookup(key, common).then(
        (found) => {
          this.inflight.delete(key)
          // What used to be a file here is gone or has become a directory: forget it.
          if (found.kind !== 'file') this.cache?.delete(key)
          return found
        },
        (error: unknown) => {
          this.inflight.delete(key)
          throw error
        },
      )
      this.inflight.set(key, p)
    }
    return p
  }

  private async lookup(key: string, common: Common): Promise<Lookup> {
    const rest = key === SPA_KEY ? `/${this.opts.spa!.split('/').map(encodeURIComponent).join('/')}` : key
    const segments = splitRequestPath(rest, this.opts.dotfiles)
    if (segments === FORBIDDEN) return FORBIDDEN_LOOKUP
    if (segments === IGNORED) return MISSING
    const path = segments.length === 0 ? this.root : this.root + sep + segments.join(sep)
    // Cannot fail given the checks above; kept so that a future change there fails closed.
    if (!isInside(this.root, path)) return FORBIDDEN_LOOKUP
    const st = await statOrNull(path)
    if (st === null || !(await this.contained(path))) return MISSING
    // '' is the prefix itself without its slash ('/assets'): redirected like any directory.
    const trailing = rest.endsWith('/')
    if (st.isDirectory()) {
      if (this.opts.index.length === 0 && !this.opts.listing) return MISSING
      // Relative links in an index page resolve against the directory only with the slash.
      if (!trailing) return REDIRECT
      for (const name of this.opts.index) {
        const file = path + sep + name.split('/').join(sep)
        const ist = await statOrNull(file)
        if (ist !== null && ist.isFile() && (await this.contained(file))) return this.fileLookup(key, file, ist, common)
      }
      return this.opts.listing ? { kind: 'listing', dir: path } : MISSING
    }
    // `/file.txt/` names a directory that is not there.
    if (!st.isFile() || trailing) return MISSING
    return this.fileLookup(key, path, st, common)
  }

  private async fileLookup(key: string, path: string, st: Stats, common: Common): Promise<Lookup> {
    const old = this.cache?.get(key)
    const type = contentType(path)
    const identity = makeRepresentation(path, st, type, undefined, this.opts, await this.maybeRead(path, st, old?.identity))
    const variants: Representation[] = []
    const encodings: Encoding[] = []
    for (let i = 0; i < this.opts.encodings.length; i++) {
      const encoding = this.opts.encodings[i]!
      const sibling = path + EXTENSION[encoding]
      const sst = await statOrNull(sibling)
      if (sst === null || !sst.isFile() || !(await this.contained(sibling))) continue
      const before = old?.variants[old.encodings.indexOf(encoding)]
      variants.push(makeRepresentation(sibling, sst, type, encoding, this.opts, await this.maybeRead(sibling, sst, before)))
      encodings.push(encoding)
    }
    let bytes = identity.data?.length ?? 0
    for (const v of variants) bytes += v.data?.length ?? 0
    const entry: Entry = { identity, variants, encodings, common, checkedAt: Date.now(), bytes }
    this.cache?.set(key, entry)
    return { kind: 'file', entry }
  }

  /** The file's bytes when it is small enough to cache, reusing the old copy when unchanged. */
  private async maybeRead(path: string, st: Stats, old: Representation | undefined): Promise<Buffer | undefined> {
    const c = this.opts.cache
    if (c === null || st.size > c.maxFileSize) return undefined
    if (old !== undefined && old.data !== undefined && old.size === st.size && old.mtimeMs === st.mtimeMs) return old.data
    try {
      return await readFile(path)
    } catch {
      // Gone or unreadable since the stat: stream it instead, which reports the error properly.
      return undefined
    }
  }

  /**
   * Whether `path`, with every symlink resolved, is still under the root. Symlinks inside the
   * root are fine; one that leads out of it is refused unless `followSymlinks` is set.
   */
  private async contained(path: string): Promise<boolean> {
    if (this.opts.followSymlinks) return true
    try {
      if (this.realRoot === null) this.realRoot = await realpath(this.root)
      return isInside(this.realRoot, await realpath(path))
    } catch {
      return false
    }
  }
}

/** stat, with "not there" (and "not allowed to look") as null rather than an error. */
export async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path)
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP' || code === 'EACCES' || code === 'EPERM') return null
    throw error
  }
}

/** Whether the last segment of a URL path has a file extension (`/app.js`, not `/users/42`). */
function hasExtension(rest: string): boolean {
  const slash = rest.lastIndexOf('/')
  // A dot that starts the segment makes a dotfile, not an extension.
  return rest.indexOf('.', slash + 1) > slash + 1
}
