import type { Server as NodeServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { App } from '../app/app.ts'
import type { Handler } from '../app/types.ts'
import { compose, errorResponder } from '../middleware/compose.ts'
import { consoleErrorLog, defaultErrorResponse } from '../app/errors.ts'
import { compileTrust, type TrustProxy } from './proxy.ts'
import type { Request, RequestSettings } from './request.ts'
import type { Response } from './response.ts'
import { createH1Server, type H1Limits } from './engines/node-h1.ts'
import { WebSocketHub } from '../ws/hub.ts'

export interface ServeOptions {
  /** Port to listen on (default 8080; 0 picks a free one). */
  port?: number
  /** Address to listen on (default 127.0.0.1; '0.0.0.0' or '::' for every interface). */
  host?: string
  /** Which peers may set the client address, protocol and host (default: the app's setting). */
  trustProxy?: TrustProxy
  /** Time allowed to receive the request headers (default 30 s; 408 after). */
  headersTimeout?: number
  /** Time allowed to receive the whole request (default 60 s; 408 after; 0 disables). */
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
}

export interface CloseOptions {
  /** After this many ms, connections still open are destroyed (default 10 s). */
  timeout?: number
}

/** A listening server. */
export interface Server {
  /** `http://host:port` */
  readonly url: string
  readonly port: number
  readonly host: string
  /** The underlying node:http server, for what weft does not cover. */
  readonly node: NodeServer
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
} as const

function errorLog(option: ServeOptions['logErrors']): false | ((error: unknown, req: Request | undefined) => void) {
  return option === false ? false : typeof option === 'function' ? option : consoleErrorLog
}

/** Serves an App, or a bare handler, over HTTP/1.1. Resolves once the server is listening. */
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
  const node = createH1Server({ dispatch, fallback, settings, closing: () => closing, websockets }, limits)

  const host = options.host ?? SERVE_DEFAULTS.host
  await new Promise<void>((resolve, reject) => {
    node.once('error', reject)
    node.listen(options.port ?? SERVE_DEFAULTS.port, host, () => {
      node.off('error', reject)
      resolve()
    })
  })
  const port = (node.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host

  let closed: Promise<void> | null = null
  const server: Server = {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    node,
    close(closeOptions = {}) {
      if (closed !== null) return closed
      closing = true
      const timeout = closeOptions.timeout ?? SERVE_DEFAULTS.closeTimeout
      closed = new Promise<void>((resolve) => {
        node.close(() => resolve())
        node.closeIdleConnections()
        // Open WebSockets get a close 1001 and their close timeout; node.close() waits for them.
        websockets?.closeAll()
        // Responses that began before shutdown were promised keep-alive; once they finish their
        // connections go idle and are closed on the next sweep.
        const sweep = setInterval(() => node.closeIdleConnections(), 25)
        const deadline = setTimeout(() => {
          node.closeAllConnections()
          websockets?.terminateAll()
        }, timeout)
        node.once('close', () => {
          clearInterval(sweep)
          clearTimeout(deadline)
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
