import type { Request, RequestSettings } from '../http/request.ts'
import type { Response } from '../http/response.ts'
import { compileTrust, type TrustProxy } from '../http/proxy.ts'
import type { PathParams } from '../router/params.ts'
import { parsePattern } from '../router/pattern.ts'
import type { ErrorHandler, Handler, Middleware, Params } from './types.ts'
import { compileApp, type CompiledApp } from './compile.ts'
import { injectRequest, type InjectInit } from './inject.ts'
import type { StaticOptions } from '../static/options.ts'
import { StaticServer } from '../static/server.ts'
import { covers } from '../static/serve-static.ts'
import { PubSub } from '../ws/pubsub.ts'
import { WebSocketRoute } from '../ws/route.ts'
import type { SendOptions, WebSocketData, WebSocketHandlers, WebSocketRouteOptions } from '../ws/types.ts'

export interface AppOptions {
  /** Request body limit in bytes for this app's routes (default 1 MiB; sub-apps inherit it). */
  bodyLimit?: number
  /** Which peers may set the client address, protocol and host through proxy headers. */
  trustProxy?: TrustProxy
  /** Development mode: error responses carry messages and stacks. Never in production. */
  dev?: boolean
  /** Report unexpected handler errors (default: console.error); `false` for silence. */
  logErrors?: boolean | ((error: unknown, req: Request | undefined) => void)
}

/** Middleware before the handler, the handler last. */
export type RouteHandlers<P extends Params> = [...Middleware<P>[], Handler<P>]

/** @internal */
export interface RouteDefinition {
  method: string
  path: string
  middleware: Middleware[]
  handler: Handler
}

/** @internal */
export interface UseDefinition {
  /** '' for app-wide middleware, otherwise a path prefix ('/admin'). */
  prefix: string
  middleware: Middleware
}

/**
 * An application: routes, middleware, sub-apps mounted under prefixes, and error and
 * not-found hooks. Serve it with `serve(app)`, or run requests through it in tests with
 * `app.request()`.
 */
export class App {
  readonly config: AppOptions
  /** @internal */ readonly routes: RouteDefinition[] = []
  /** @internal */ readonly uses: UseDefinition[] = []
  /** @internal */ readonly mounts: Array<{ prefix: string; app: App }> = []
  /** @internal */ errorHook: ErrorHandler | null = null
  /** @internal */ readonly statics: Array<{ prefix: string; server: StaticServer }> = []
  private userNotFound: Handler | null = null
  private readonly parents = new Set<App>()
  private readonly routeKeys = new Set<string>()
  private compiled: CompiledApp | null = null
  private topics: PubSub | null = null

  constructor(options: AppOptions = {}) {
    this.config = options
    if (options.bodyLimit !== undefined && !(options.bodyLimit >= 0)) throw new RangeError('bodyLimit must be a non-negative number')
    // Checked now so a bad range fails where it was written, not on the first request.
    compileTrust(options.trustProxy)
  }

  /** App-wide middleware, or middleware for every path under a prefix: `use('/admin', auth)`. */
  use(...middleware: Middleware[]): this
  use(prefix: string, ...middleware: Middleware[]): this
  use(first: string | Middleware, ...rest: Middleware[]): this {
    let prefix = ''
    if (typeof first === 'string') prefix = normalizePrefix(first)
    else rest.unshift(first)
    for (const mw of rest) {
      if (typeof mw !== 'function') throw new TypeError('middleware must be a function')
      this.uses.push({ prefix, middleware: mw })
    }
    return this.changed()
  }

  get<Path extends string>(path: Path, ...handlers: RouteHandlers<PathParams<Path>>): this {
    return this.on('GET', path, ...handlers)
  }
  post<Path extends string>(path: Path, ...handlers: RouteHandlers<PathParams<Path>>): this {
    return this.on('POST', path, ...handlers)
  }
  put<Path extends string>(path: Path, ...handlers: RouteHandlers<PathParams<Path>>): this {
    return this.on('PUT', path, ...handlers)
  }
  patch<Path extends string>(path: Path, ...handlers: RouteHandlers<PathParams<Path>>): this {
    return this.on('PATCH', path, ...handlers)
  }
  delete<Path extends string>(path: Path, ...handlers: RouteHandlers<PathParams<Path>>): this {
    return this.on('DELETE', path, ...handlers)
  }
  head<Path extends string>(path: Path, ...handlers: RouteHandlers<PathParams<Path>>): this {
    return this.on('HEAD', path, ...handlers)
  }
  options<Path extends string>(path: Path, ...handlers: RouteHandlers<PathParams<Path>>): this {
    return this.on('OPTIONS', path, ...handlers)
  }
  /** A handler for every method on this path. */
  all<Path extends string>(path: Path, ...handlers: RouteHandlers<PathParams<Path>>): this {
    return this.on('ALL', path, ...handlers)
  }

  /** A route for one method or several. */
  on<Path extends string>(method: string | readonly string[], path: Path, ...handlers: RouteHandlers<PathParams<Path>>): this {
    if (handlers.length === 0) throw new TypeError(`route ${path} needs a handler`)
    for (const fn of handlers) if (typeof fn !== 'function') throw new TypeError(`route ${path}: handlers must be functions`)
    const handler = handlers[handlers.length - 1] as Handler
    const middleware = handlers.slice(0, -1) as Middleware[]
    // Check every method before adding any, so a bad list leaves the app unchanged.
    const methods = (typeof method === 'string' ? [method] : [...method]).map((m) => {
      const upper = m.toUpperCase()
      if (!/^[A-Z][A-Z0-9_-]*$/.test(upper)) throw new TypeError(`invalid method: ${m}`)
      return upper
    })
    // Bad patterns and repeats in this app are reported here, where the mistake is; conflicts
    // across mounted apps can only show when the app is compiled (first request or serve()).
    parsePattern(path)
    for (const upper of methods) {
      if (this.routeKeys.has(`${upper} ${path}`)) throw new Error(`route already defined: ${upper} ${path}`)
    }
    for (const upper of methods) {
      this.routeKeys.add(`${upper} ${path}`)
      this.routes.push({ method: upper, path, middleware, handler })
    }
    return this.changed()
  }

  /**
   * A WebSocket endpoint: upgrade requests to `path` go through routing and middleware (which
   * may refuse them, say with a 401), then `handlers.upgrade` (user data or a refusal), then the
   * handshake. A plain GET there is answered 426. See docs/websocket.md.
   */
  ws<Path extends string, Data = undefined>(path: Path, handlers: WebSocketHandlers<Data, PathParams<Path>>, options?: WebSocketRouteOptions<PathParams<Path>>): this {
    const route = new WebSocketRoute(handlers as unknown as WebSocketHandlers<unknown>, options as WebSocketRouteOptions | undefined)
    return this.on('GET', path, route.handle)
  }

  /**
   * Sends a message to every WebSocket subscribed to `topic` (on the servers serving this app,
   * or the apps it is mounted in); returns how many connections accepted it.
   */
  publish(topic: string, data: WebSocketData, options?: SendOptions): number {
    if (this.parents.size === 0) return this.pubsub.publish(topic, data, options)
    let n = 0
    for (const parent of this.parents) n += parent.publish(topic, data, options)
    return n
  }

  /** @internal The topics of the connections this app serves (when it is the app given to serve()). */
  get pubsub(): PubSub {
    return (this.topics ??= new PubSub())
  }

  /** Mounts a sub-app under a prefix; its routes, middleware and hooks apply below it. */
  route(prefix: string, app: App): this {
    if (app === this) throw new TypeError('an app cannot be mounted on itself')
    if (app.reaches(this)) throw new TypeError('mounting this app would make a cycle (it already contains the app it is mounted on)')
    this.mounts.push({ prefix: normalizePrefix(prefix), app })
    app.parents.add(this)
    return this.changed()
  }

  /** Whether `other` is mounted somewhere below this app. */
  private reaches(other: App): boolean {
    for (const mount of this.mounts) if (mount.app === other || mount.app.reaches(other)) return true
    return false
  }

  /** Turns errors thrown by this app's handlers and middleware into responses. */
  onError(handler: ErrorHandler): this {
    this.errorHook = handler
    return this.changed()
  }

  /** Answers requests that match no route (default: 404 text). */
  notFound(handler: Handler): this {
    this.userNotFound = handler
    return this.changed()
  }

  /**
   * Serves the files under `dir` at `prefix` for GET and HEAD: `app.static('/assets',
   * './public')` answers `/assets/app.css` with `./public/app.css`. Routes come first: the
   * files fill in where no route matches, so `app.static('/', dir)` next to an API costs the API
   * nothing. A missing file, or another method, goes on to this app's `notFound` hook (or the
   * default 404). See docs/static.md for the options.
   */
  static(prefix: string, dir: string, options: StaticOptions = {}): this {
    this.statics.push({ prefix: normalizePrefix(prefix), server: new StaticServer(dir, options) })
    // Longest prefix first, so '/assets/img' wins over '/assets'.
    this.statics.sort((a, b) => b.prefix.length - a.prefix.length)
    return this.changed()
  }

  /**
   * @internal The handler for requests no route matches, as compileApp reads it: the static
   * directories (when there are any), then the app's own hook. Built when the app is compiled,
   * with the full paths this app is mounted at (a sub-app's `static('/img', …)` mounted at
   * '/blog' serves '/blog/img/…'), so the per-request work is a prefix test and a call.
   */
  notFoundHandler(inherited: Handler): Handler {
    // What answers when neither this app's files nor its hook do: its own hook, or else what
    // the app it is mounted in would answer (its hook, its static folders).
    const user = this.userNotFound ?? inherited
    if (this.statics.length === 0) return user
    const mounts: Array<{ full: string; server: StaticServer }> = []
    for (const base of this.mountPaths()) for (const s of this.statics) mounts.push({ full: base + s.prefix, server: s.server })
    mounts.sort((a, b) => b.full.length - a.full.length)
    return (req) => {
      for (const m of mounts) {
        if (!covers(m.full, req.path)) continue
        const out = m.server.handle(req, req.path.slice(m.full.length))
        if (out === null) break
        if (out instanceof Promise) return out.then((res) => res ?? user(req))
        return out
      }
      return user(req)
    }
  }

  /** Every full path prefix this app is reachable at ('' as a root, plus each mount). */
  private mountPaths(): string[] {
    const out: string[] = []
    for (const parent of this.parents) {
      for (const base of parent.mountPaths()) for (const m of parent.mounts) if (m.app === this) out.push(base + m.prefix)
    }
    out.push('')
    return out
  }

  /** Runs one request through the app. Engines call this; so can tests. */
  readonly handle = (req: Request): Response | Promise<Response> => {
    return (this.compiled ?? this.compile()).dispatch(req)
  }

  /** Runs a request through the whole app without a socket and returns a web Response. */
  request(input: string | URL | globalThis.Request, init?: InjectInit): Promise<globalThis.Response> {
    return injectRequest(this, input, init)
  }

  /** A web-standard fetch handler (`(Request) => Promise<Response>`). */
  readonly fetch = (request: globalThis.Request): Promise<globalThis.Response> => injectRequest(this, request)

  /** @internal The settings engines give this app's requests (from `trustProxy`). */
  requestSettings(): RequestSettings {
    return (this.compiled ?? this.compile()).settings
  }

  private compile(): CompiledApp {
    this.compiled = compileApp(this)
    return this.compiled
  }

  private changed(): this {
    this.compiled = null
    for (const parent of this.parents) parent.changed()
    return this
  }
}

/** '/api/' and '/api/*' become '/api'; '/' and '' mean the root. */
export function normalizePrefix(prefix: string): string {
  let p = prefix.trim()
  if (p.endsWith('*')) p = p.slice(0, -1)
  while (p.endsWith('/')) p = p.slice(0, -1)
  if (p !== '' && !p.startsWith('/')) throw new TypeError(`prefix must start with "/": ${prefix}`)
  return p
}
