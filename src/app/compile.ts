import { DEFAULT_BODY_LIMIT } from '../http/body.ts'
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

  const walk = (app: App, prefix: string, inherited: UseDefinition[], limit: number, hook: ErrorHandler | null, missing: Handler): void => {
    limit = app.config.bodyLimit ?? limit
    hook = app.errorHook ?? hook
    missing = app.notFoundHandler ?? missing
    const uses = inherited.concat(app.uses.map((u) => ({ prefix: prefix + u.prefix, middleware: u.middleware })))
    const onError = errorResponder(hook, fallback)
    scopes.push({ prefix, uses, notFound: missing, onError, bodyLimit: limit })
    for (const route of app.routes) {
      const path = joinPath(prefix, route.path)
      const chain = middlewareFor(uses, path).concat(route.middleware)
      router.add(route.method, path, { run: compose(chain, route.handler, onError), bodyLimit: limit })
    }
    for (const mount of app.mounts) walk(mount.app, prefix + mount.prefix, uses, limit, hook, missing)
  }
  walk(root, '', [], DEFAULT_BODY_LIMIT, null, notFound)
  // Deepest mount first, so a miss under /api/v1 gets /api/v1's middleware and hooks.
  scopes.sort((a, b) => b.prefix.length - a.prefix.length)

  const miss = (req: Request, final: Handler): Response | Promise<Response> => {
    const scope = scopes.find((s) => covers(s.prefix, req.path)) ?? scopes[scopes.length - 1]!
    req.bodyLimit = scope.bodyLimit
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
        return miss(req, () => text('Method Not Allowed', { status: 405, headers: { allow } }))
      }
      return miss(req, notFound)
    },
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
