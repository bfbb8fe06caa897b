import type { Next } from '../app/types.ts'
import type { Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'
import type { StaticOptions } from './options.ts'
import { plain } from './send.ts'
import { StaticServer } from './server.ts'

export interface ServeStaticOptions extends StaticOptions {
  /**
   * The URL path the directory is served at (default `/`): `/assets/app.js` with prefix
   * `/assets` is `app.js` in the directory; other paths go to `next()`. `app.static()` sets it.
   */
  prefix?: string
}

/**
 * Middleware, or a whole handler, serving a directory. As middleware it answers GET and HEAD
 * for files that exist and calls `next()` for anything else (other methods, missing files with
 * `fallthrough`); as a bare handler (`serve(serveStatic('public'))`) those get 404.
 */
export type StaticHandler = (req: Request, next?: Next) => Response | Promise<Response>

export function serveStatic(dir: string, options: ServeStaticOptions = {}): StaticHandler {
  const server = new StaticServer(dir, options)
  const prefix = normalizePrefix(options.prefix ?? '')
  return function serveStatic(req: Request, next?: Next): Response | Promise<Response> {
    let rest = req.path
    if (prefix !== '') {
      if (!covers(prefix, rest)) return next === undefined ? plain(404, 'Not Found') : next()
      rest = rest.slice(prefix.length)
    }
    const out = server.handle(req, rest)
    if (out === null) return next === undefined ? plain(404, 'Not Found') : next()
    if (!(out instanceof Promise)) return out
    return out.then((res) => res ?? (next === undefined ? plain(404, 'Not Found') : next()))
  }
}

/** '/assets/' → '/assets'; '/' → ''. */
export function normalizePrefix(prefix: string): string {
  let p = prefix.trim()
  while (p.endsWith('/')) p = p.slice(0, -1)
  if (p !== '' && !p.startsWith('/')) throw new TypeError(`prefix must start with "/": ${prefix}`)
  return p
}

/** Whether a prefix applies to a path: '/a' covers '/a' and '/a/x', not '/ax'. */
export function covers(prefix: string, path: string): boolean {
  if (prefix === '') return true
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47)
}
