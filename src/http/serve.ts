import type { Server as NodeServer } from 'node:http'
import type { AddressInfo, Server as NetServer } from 'node:net'
import type { ServerHttp2Session } from 'node:http2'
import { App } from '../app/app.ts'
import type { Handler } from '../app/types.ts'
import { compose, errorResponder } from '../middleware/compose.ts'
import { consoleErrorLog, defaultErrorResponse } from '../app/errors.ts'
import { compileTrust, type TrustProxy } from './proxy.ts'
import type { Request, RequestSettings } from './request.ts'
import type { Response } from './response.ts'
import { createH1Server, type H1Limits } from './engines/node-h1.ts'
import { WebSocketHub } from '../ws/hub.ts'
import { createH2Engine, type H2Engine, type H2Limits } from './engines/node-h2.ts'
import type { FloodKind } from './engines/h2-guard.ts'
import { createFront } from './engines/front.ts'
import { TlsServerConfig, type ServerCertificates, type TlsServerOptions } from '../tls/server.ts'

/** HTTP/2 settings and protections; every field has a default (see SERVE_DEFAULTS.http2). */
export interface Http2Options {
  /** Streams a client may have open at once per connection (default 100). */
  maxConcurrentStreams?: number
  /** Flow-control window per stream for request bodies, in bytes (default 65 535). */
  initialWindowSize?: number
  /** Largest request header block, decoded, in bytes (default: maxHeaderSize, 16 KiB). */
  maxHeaderListSize?: number
  /** Memory a connection may use in nghttp2, in MB, before it refuses new streams (default 10). */
  maxSessionMemory?: number
  /** A connection that reads and writes nothing for this long gets GOAWAY (default 60 s, checked every quarter of it; 0 never). */
  idleTimeout?: number
  /** Window for the flood budgets below, in ms (default 10 s). */
  floodWindow?: number
  /** Streams a client may reset per window before its connection is closed (default 200). */
  maxResets?: number
  /** PING frames a client may send per window (default 50). */
  maxPings?: number
  /** SETTINGS frames a client may send per window (default 50). */
  maxSettings?: number
  /** Told when a connection crosses a flood budget, just before it is closed. */
  onFlood?: (kind: FloodKind, session: ServerHttp2Session) => void
}

export interface ServeOptions {
  /** Port to listen on (default 8080; 0 picks a free one). */
  port?: number
  /** Address to listen on (default 127.0.0.1; '0.0.0.0' or '::' for every interface). */
  host?: string
  /** Which peers may set the client address, protocol and host (default: the app's setting). */
  trustProxy?: TrustProxy
  /** Time allowed to receive the request headers (default 30 s; 408 after). */
  headersTimeout?: number
  /**
   * Time allowed to receive the whole request (default 60 s; 408 after; 0 disables). Over
   * HTTP/2 it applies per stream, to streams with a request body.
   */
  requestTimeout?: number
  /** How long an idle keep-alive connection stays open (default 5 s). */
  keepAliveTimeout?: number
  /** Largest request head (request line and headers) in bytes (default 16 KiB; 431 after). */
  maxHeaderSize?: number
  /** Requests served on one connection before it is closed (default 1000; 0 for no limit). */
  maxRequestsPerConnection?: number
  /** How long a streamed response may wait on a client that is not reading (default 60 s). */
  sendTimeout?: number
  /** For a bare handler: error messages and stacks in responses (development only). */
  dev?: boolean
  /** For a bare handler: report unexpected errors (default: console.error); `false` for silence. */
  logErrors?: boolean | ((error: unknown, req: Request | undefined) => void)
  /** Stop the server when this signal aborts. */
  signal?: AbortSignal
  /**
   * HTTPS: certificates and policy as weft/tls takes them (paths, PEM, PFX, SNI, mTLS, OCSP,
   * session tickets), or a TlsServerConfig shared with other servers.
   */
  tls?: TlsServerOptions | TlsServerConfig
  /**
   * HTTP/2 as well as HTTP/1.1 on the same port: chosen by ALPN over TLS, by the connection
   * preface (prior knowledge) over cleartext. `true` for the defaults, or settings.
   */
  http2?: boolean | Http2Options
}

export interface CloseOptions {
  /** After this many ms, connections still open are destroyed (default 10 s). */
  timeout?: number
}

/** A listening server. */
export interface Server {
  /** `http://host:port`, or `https://` with TLS */
  readonly url: string
  readonly port: number
  readonly host: string
  /**
   * The listening node server: the node:http server itself for cleartext HTTP/1.1, otherwise
   * the node:tls or node:net server that hands connections to `h1` and `h2`.
   */
  readonly node: NetServer
  /** The node:http server that serves HTTP/1.1 (the same object as `node` without TLS and HTTP/2). */
  readonly h1: NodeServer
  /** The HTTP/2 engine (its node:http2 server and open sessions), when `http2` is on. */
  readonly h2: H2Engine | null
  /** The TLS configuration, when serving HTTPS. */
  readonly tls: TlsServerConfig | null
  /** New certificates for new connections (weft/tls checks them all first; throws and keeps the old ones on error). */
  setCertificates(certificates: ServerCertificates): void
  /**
   * Graceful shutdown: stop accepting, close idle keep-alive connections now and busy ones once
   * their response is complete, and destroy whatever is left at the deadline.
   */
  close(options?: CloseOptions): Promise<void>
}

export const SERVE_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  headersTimeout: 30_000,
  requestTimeout: 60_000,
  keepAliveTimeout: 5_000,
  maxHeaderSize: 16 * 1024,
  maxRequestsPerConnection: 1000,
  sendTimeout: 60_000,
  closeTimeout: 10_000,
  http2: {
    maxConcurrentStreams: 100,
    initialWindowSize: 65_535,
    maxSessionMemory: 10,
    idleTimeout: 60_000,
    floodWindow: 10_000,
    maxResets: 200,
    maxPings: 50,
    maxSettings: 50,
  },
} as const

function errorLog(option: ServeOptions['logErrors']): false | ((error: unknown, req: Request | undefined) => void) {
  return option === false ? false : typeof option === 'function' ? option : consoleErrorLog
}

/**
 * Serves an App, or a bare handler, over HTTP/1.1, and with `tls` and `http2` over HTTPS and
 * HTTP/2 on the same port. Resolves once the server is listening.
 */
export async function serve(target: App | Handler, options: ServeOptions = {}): Promise<Server> {
  let dispatch: (req: Request) => Response | Promise<Response>
  let settings: RequestSettings
  let fallback: (error: unknown, req?: Request) => Response
  if (target instanceof App) {
    dispatch = target.handle
    settings = target.requestSettings()
    fallback = defaultErrorResponse({ dev: target.config.dev === true, log: errorLog(target.config.logErrors) })
  } else if (typeof target === 'function') {
    fallback = defaultErrorResponse({ dev: options.dev === true, log: errorLog(options.logErrors) })
    dispatch = compose([], target, errorResponder(null, fallback))
    settings = { trust: null }
  } else {
    throw new TypeError('serve() takes an App or a handler function')
  }
  if (options.trustProxy !== undefined) settings = { trust: compileTrust(options.trustProxy) }

  const limits: H1Limits = {
    headersTimeout: options.headersTimeout ?? SERVE_DEFAULTS.headersTimeout,
    requestTimeout: options.requestTimeout ?? SERVE_DEFAULTS.requestTimeout,
    keepAliveTimeout: options.keepAliveTimeout ?? SERVE_DEFAULTS.keepAliveTimeout,
    maxHeaderSize: options.maxHeaderSize ?? SERVE_DEFAULTS.maxHeaderSize,
    maxRequestsPerConnection: options.maxRequestsPerConnection ?? SERVE_DEFAULTS.maxRequestsPerConnection,
    sendTimeout: options.sendTimeout ?? SERVE_DEFAULTS.sendTimeout,
  }
  if (limits.requestTimeout > 0 && limits.headersTimeout > limits.requestTimeout) limits.headersTimeout = limits.requestTimeout

  let closing = false
  // WebSocket connections, for an App (its `app.ws()` routes); a bare handler has none.
  const websockets = target instanceof App ? new WebSocketHub(target.pubsub) : null
  const hooks = { dispatch, fallback, settings, closing: () => closing, websockets }
  const h1 = createH1Server(hooks, limits)
  const h2 = options.http2 === undefined || options.http2 === false ? null : createH2Engine(hooks, h2Limits(options, limits), options.http2 === true ? null : (options.http2.onFlood ?? null))
  // A config made here is closed with the server (its ticket-key timer); a given one is the caller's.
  const ownTls = options.tls !== undefined && !(options.tls instanceof TlsServerConfig)
  const tls = options.tls === undefined ? null : options.tls instanceof TlsServerConfig ? options.tls : new TlsServerConfig(options.tls)
  const front = createFront(h1, h2, tls, limits.headersTimeout)
  const node = front.server

  const host = options.host ?? SERVE_DEFAULTS.host
  try {
    await new Promise<void>((resolve, reject) => {
      node.once('error', reject)
      node.listen(options.port ?? SERVE_DEFAULTS.port, host, () => {
        node.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    if (ownTls) tls!.close()
    throw error
  }
  const port = (node.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host

  let closed: Promise<void> | null = null
  const server: Server = {
    url: `${tls === null ? 'http' : 'https'}://${urlHost}:${port}`,
    port,
    host,
    node,
    h1,
    h2,
    tls,
    setCertificates(certificates) {
      if (tls === null) throw new TypeError('setCertificates(): this server was started without `tls`')
      tls.setCertificates(certificates)
    },
    close(closeOptions = {}) {
      if (closed !== null) return closed
      closing = true
      const timeout = closeOptions.timeout ?? SERVE_DEFAULTS.closeTimeout
      closed = new Promise<void>((resolve) => {
        // The listening server's close callback runs once every connection it accepted is gone.
        node.close(() => resolve())
        h1.closeIdleConnections()
        // HTTP/2: GOAWAY now; streams in flight finish, then each session closes.
        h2?.closeAll()
        // Open WebSockets get a close 1001 and their close timeout; node.close() waits for them.
        websockets?.closeAll()
        // Responses that began before shutdown were promised keep-alive; once they finish their
        // connections go idle and are closed on the next sweep.
        const sweep = setInterval(() => h1.closeIdleConnections(), 25)
        const deadline = setTimeout(() => {
          h1.closeAllConnections()
          h2?.destroyAll()
          front.destroyAll()
          websockets?.terminateAll()
        }, timeout)
        node.once('close', () => {
          clearInterval(sweep)
          clearTimeout(deadline)
          if (ownTls) tls!.close()
        })
      })
      return closed
    },
  }
  if (options.signal !== undefined) {
    if (options.signal.aborted) void server.close()
    else options.signal.addEventListener('abort', () => void server.close(), { once: true })
  }
  return server
}

function h2Limits(options: ServeOptions, limits: H1Limits): H2Limits {
  const o = typeof options.http2 === 'object' ? options.http2 : {}
  const d = SERVE_DEFAULTS.http2
  return {
    maxConcurrentStreams: o.maxConcurrentStreams ?? d.maxConcurrentStreams,
    initialWindowSize: o.initialWindowSize ?? d.initialWindowSize,
    // One header limit for both protocols unless HTTP/2's is set apart.
    maxHeaderListSize: o.maxHeaderListSize ?? limits.maxHeaderSize,
    maxSessionMemory: o.maxSessionMemory ?? d.maxSessionMemory,
    idleTimeout: o.idleTimeout ?? d.idleTimeout,
    sendTimeout: limits.sendTimeout,
    // Per stream over HTTP/2: each request's body must arrive within it.
    requestTimeout: limits.requestTimeout,
    floodWindow: o.floodWindow ?? d.floodWindow,
    maxResets: o.maxResets ?? d.maxResets,
    maxPings: o.maxPings ?? d.maxPings,
    maxSettings: o.maxSettings ?? d.maxSettings,
  }
}
