import { realpath } from 'node:fs/promises'
import { basename, resolve, sep } from 'node:path'
import { HttpError } from '../http/errors.ts'
import type { IncomingHeaders, Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'
import { first } from './conditional.ts'
import { contentType } from './content-type.ts'
import { chooseEncoding, EXTENSION } from './encoding.ts'
import { cacheControlHeader, resolveOptions, type Encoding, type FileOptions } from './options.ts'
import { makeRepresentation, type Representation } from './representation.ts'
import { isInside, splitRelativePath, FORBIDDEN, IGNORED } from './safe-path.ts'
import { respond } from './send.ts'
import { statOrNull } from './server.ts'

const PLAIN_GET: Pick<Request, 'method' | 'headers'> = { method: 'GET', headers: Object.freeze({}) as IncomingHeaders }

/**
 * A response that streams one file, with the headers `serveStatic` sends (Content-Type,
 * Content-Length, ETag, Last-Modified, Cache-Control). Given `{ req }` it also answers
 * conditional requests (304/412), ranges (206, multipart, 416) and HEAD, and picks a
 * precompressed sibling when `precompressed` is set. A missing file (or a directory) throws a
 * 404 HttpError; with `root`, a path that would leave it throws 403.
 *
 * ```ts
 * app.get('/report', (req) => file('./reports/latest.pdf', { req, download: 'report.pdf' }))
 * app.get('/docs/:name', (req) => file(req.params.name, { req, root: './docs' }))
 * ```
 */
export async function file(path: string, options: FileOptions = {}): Promise<Response> {
  let abs: string
  if (options.root !== undefined) {
    const root = resolve(options.root)
    const segments = splitRelativePath(path, options.dotfiles ?? 'deny')
    if (segments === FORBIDDEN) throw new HttpError(403, 'Forbidden')
    if (segments === IGNORED) throw new HttpError(404, 'Not Found')
    abs = segments.length === 0 ? root : root + sep + segments.join(sep)
    if (options.followSymlinks !== true && !(await containedIn(root, abs))) throw new HttpError(404, 'Not Found')
  } else {
    // The handler chose this path; it is not checked against anything.
    abs = resolve(path)
  }
  const st = await statOrNull(abs)
  if (st === null || !st.isFile()) throw new HttpError(404, 'Not Found')
  const validators = { etag: options.etag ?? 'strong', lastModified: options.lastModified !== false } as const
  const type = options.type ?? contentType(abs)
  let rep: Representation = makeRepresentation(abs, st, type, undefined, validators, undefined)
  const req = options.req ?? PLAIN_GET
  const encodings = options.precompressed === undefined || options.precompressed === false ? [] : resolveOptions({ precompressed: options.precompressed, cache: false }).encodings
  if (encodings.length > 0) {
    // Codings are tried best first and only until a sibling exists: usually one extra stat.
    const header = first(req.headers['accept-encoding'])
    let order: Encoding[] = encodings.slice()
    while (order.length > 0) {
      const i = chooseEncoding(header, order)
      if (i === -1) break
      const encoding = order[i]!
      const sibling = abs + EXTENSION[encoding]
      const sst = await statOrNull(sibling)
      if (sst !== null && sst.isFile() && (options.followSymlinks === true || options.root === undefined || (await containedIn(resolve(options.root), sibling)))) {
        rep = makeRepresentation(sibling, sst, type, encoding, validators, undefined)
        break
      }
      order = order.filter((e) => e !== encoding)
    }
  }
  const common = {
    cacheControl: cacheControlHeader(options),
    vary: encodings.length > 0,
    disposition: options.download === undefined || options.download === false ? undefined : attachment(options.download === true ? basename(abs) : options.download),
  }
  return respond(req, rep, common)
}

async function containedIn(root: string, path: string): Promise<boolean> {
  try {
    return isInside(await realpath(root), await realpath(path))
  } catch {
    return false
  }
}

/**
 * `Content-Disposition: attachment` with the name as a quoted ASCII fallback and, when it is not
 * plain ASCII, as RFC 8187 `filename*` too (browsers prefer it).
 */
export function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  if (ascii === name) return `attachment; filename="${name}"`
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
