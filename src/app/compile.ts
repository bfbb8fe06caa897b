import { DEFAULT_BODY_LIMIT } from '../http/body.ts'
import { HttpError } from '../http/errors.ts'
import { compileTrust } from '../http/proxy.ts'
import type { Request, RequestSettings } from '../http/request.ts'
import { Response, text } from '../http/response.ts'
import { Router } from '../router/router.ts'
import { compose, errorResponder } from '../middleware/compose.ts'
import type { App, UseDefinition } from './app.ts'
import { consoleErrorLog, defaultErrorResponse } from './errors.ts'
import type { Dispatch, ErrorHandler, Handler, Middleware } from './types.ts'

export interface CompiledApp {
  readonly settings: RequestSettings
  dispatch(req: Request): Response | Promise<Response>
}

interface Entry {
  run: Dispatch
  bodyLimit: number
}

/** What applies below one mount point: used for requests that match no route. */
interface Scope {
  prefix: string
  uses: UseDefinition[]
  notFound: Handler
  onError: (error: unknown, req: Request) => Response | Promise<Response>
  bodyLimit: number
  /**
   * The composed not-found chain, when every middleware of the scope covers all of it (no
   * prefix middleware inside it): then the chain is the same for every missing path and is
   * built once, which keeps path scanners cheap.
   */
  notFoundRun: Dispatch | null
  /** Mount depth: a sub-app mounted at '/' shares its parent's prefix and must still win. */
  depth: number
}

const notFound: Handler = () => text('Not Found', { status: 404 })

/**
 * Flattens an app and its mounted sub-apps into one router whose entries hold a
 * ready-composed middleware chain, so a matched request costs one lookup and one call.
 */
export function compileApp(root: App): CompiledApp {
  const router = new Router<Entry>()
  const scopes: Scope[] = []
  const log = root.config.logErrors
  const fallback = defaultErrorResponse({
    dev: root.config.dev === true,
    log: log === false ? false : typeof log === 'function' ? log : consoleErrorLog,
  })

  const walk = (app: App, prefix: string, inherited: UseDefinition[], limit: number, hook: ErrorHandler | null, missing: Handler, depth: number): void => {
    limit = app.config.bodyLimit ?? limit
    hook = app.errorHook ?? hook
    missing = app.notFoundHandler(missing)
    const uses = inherited.concat(app.uses.map((u) => ({ prefix: prefix + u.prefix, middleware: u.middleware })))
    const onError = errorResponder(hook, fallback)
    const uniform = uses.every((u) => covers(u.prefix, prefix))
    const notFoundRun = uniform ? compose(middlewareFor(uses, prefix), missing, onError) : null
    scopes.push({ prefix, uses, notFound: missing, onError, bodyLimit: limit, notFoundRun, depth })
    for (const route of app.routes) {
      const path = joinPath(prefix, route.path)
      router.add(route.method, path, { run: routeDispatch(uses, path, route.middleware, route.handler, onError), bodyLimit: limit })
    }
    for (const mount of app.mounts) walk(mount.app, prefix + mount.prefix, uses, limit, hook, missing, depth + 1)
  }
  walk(root, '', [], DEFAULT_BODY_LIMIT, null, notFound, 0)
  // Deepest mount first, so a miss under /api/v1 gets /api/v1's middleware and hooks.
  scopes.sort((a, b) => b.prefix.length - a.prefix.length || b.depth - a.depth)

  const miss = (req: Request, final: Handler): Response | Promise<Response> => {
    const scope = scopes.find((s) => covers(s.prefix, req.path)) ?? scopes[scopes.length - 1]!
    req.bodyLimit = scope.bodyLimit
    if (final === notFound && scope.notFoundRun !== null) return scope.notFoundRun(req)
    return compose(middlewareFor(scope.uses, req.path), final === notFound ? scope.notFound : final, scope.onError)(req)
  }

  return {
    settings: { trust: compileTrust(root.config.trustProxy) },
    dispatch(req) {
      let match
      try {
        match = router.find(req.method, req.path)
      } catch (error) {
        return miss(req, () => {
          throw error
        })
      }
      if (match.kind === 'found') {
        req.params = match.params
        req.bodyLimit = match.value.bodyLimit
        return match.value.run(req)
      }
      if (match.kind === 'method') {
        const allow = match.allow
        if (req.method === 'OPTIONS') return miss(req, () => new Response(null, { status: 204, headers: { allow } }))
        // Thrown rather than returned, so the scope's onError hook can render it (as JSON, say)
        // like any other error; the default hook answers text with the Allow header.
        return miss(req, () => {
          throw new HttpError(405, 'Method Not Allowed', { headers: { allow } })
        })
      }
      return miss(req, notFound)
    },
  }
}

/**
 * The composed chain for one route. Prefix middleware is decided against the route's pattern
 * when the pattern settles it: `/admin` covers `/admin/:id` for every request, and never covers
 * `/users/:id`. A pattern whose parameter or wildcard spans the prefix (`/:page` or `/*` under
 * `use('/admin', auth)`) matches paths on both sides of it, so there the prefix is tested against
 * each request's path, or `/admin` would reach `/:page` without `auth`. Such routes compose one
 * chain per combination of prefixes seen, cached, so the usual route still costs one call.
 */
function routeDispatch(uses: UseDefinition[], path: string, own: Middleware[], handler: Handler, onError: Scope['onError']): Dispatch {
  const dynamic = /\/[:*]/.exec(path)
  // Text every matching path starts with: up to the slash before the first parameter.
  const fixed = dynamic === null ? path : path.slice(0, dynamic.index + 1)
  const layers: Array<{ use: UseDefinition; perRequest: boolean }> = []
  for (const use of uses) {
    if (covers(use.prefix, path)) layers.push({ use, perRequest: false })
    else if (dynamic !== null && use.prefix.startsWith(fixed)) layers.push({ use, perRequest: true })
  }
  const checked = layers.filter((l) => l.perRequest)
  if (checked.length === 0) return compose(layers.map((l) => l.use.middleware).concat(own), handler, onError)

  const chains = new Map<string, Dispatch>()
  return (req) => {
    let key = ''
    for (const l of checked) key += covers(l.use.prefix, req.path) ? '1' : '0'
    let run = chains.get(key)
    if (run === undefined) {
      const chain: Middleware[] = []
      for (const l of layers) if (!l.perRequest || covers(l.use.prefix, req.path)) chain.push(l.use.middleware)
      run = compose(chain.concat(own), handler, onError)
      chains.set(key, run)
    }
    return run(req)
  }
}

function middlewareFor(uses: UseDefinition[], path: string): Middleware[] {
  const out: Middleware[] = []
  for (const u of uses) if (covers(u.prefix, path)) out.push(u.middleware)
  return out
}

/** Whether a prefix applies to a path: '/api' covers '/api' and '/api/x', not '/apix'. */
function covers(prefix: string, path: string): boolean {
  if (prefix === '') return true
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47)
}

function joinPath(prefix: string, path: string): string {
  if (prefix === '') return path
  return path === '/' ? prefix : prefix + path
}
