import { createServer, type IncomingMessage, type Server as NodeServer, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { Request, type RequestSettings, type RequestTransport } from '../request.ts'
import type { Response } from '../response.ts'
import { statusText } from '../errors.ts'
import { discard, writeResponse } from './write.ts'

/** Limits for the node:http engine (all times in milliseconds). */
export interface H1Limits {
  headersTimeout: number
  requestTimeout: number
  keepAliveTimeout: number
  maxHeaderSize: number
  maxRequestsPerConnection: number
  sendTimeout: number
}

export interface EngineHooks {
  dispatch(req: Request): Response | Promise<Response>
  /** Answer for errors that escape dispatch (a bug, not a handler error). */
  fallback(error: unknown, req: Request): Response
  settings: RequestSettings
  /** True once graceful shutdown has begun: responses then close their connections. */
  closing(): boolean
}

const ABORTED = AbortSignal.abort()

/** The engine's per-request view of node:http; it implements RequestTransport for weft's Request. */
class NodeTransport implements RequestTransport {
  private controller: AbortController | null = null
  constructor(
    readonly incoming: IncomingMessage,
    readonly outgoing: ServerResponse,
  ) {}

  get remoteAddress(): string {
    return this.incoming.socket.remoteAddress ?? ''
  }

  get encrypted(): boolean {
    return (this.incoming.socket as { encrypted?: boolean }).encrypted === true
  }

  get httpVersion(): string {
    return this.incoming.httpVersion
  }

  body(): AsyncIterator<Uint8Array> | null {
    if (!hasBody(this.incoming)) return null
    // destroyOnReturn: false — stopping early (a 413) must not kill the socket before the
    // answer is written; the response then carries Connection: close instead.
    return this.incoming.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]()
  }

  signal(): AbortSignal {
    if (this.controller !== null) return this.controller.signal
    if (this.outgoing.writableFinished) return new AbortController().signal
    if (this.outgoing.destroyed) return ABORTED
    const controller = (this.controller = new AbortController())
    this.outgoing.once('close', () => {
      if (!this.outgoing.writableFinished) controller.abort(new Error('client disconnected'))
    })
    return controller.signal
  }

  /** Aborts the signal when a streamed response ends early. */
  abort(): void {
    if (this.controller !== null && !this.controller.signal.aborted) this.controller.abort(new Error('client disconnected'))
  }
}

function hasBody(incoming: IncomingMessage): boolean {
  const h = incoming.headers
  if (h['transfer-encoding'] !== undefined) return true
  const len = h['content-length']
  return len !== undefined && len !== '0'
}

/** Creates the node:http server that feeds requests to weft. */
export function createH1Server(hooks: EngineHooks, limits: H1Limits): NodeServer {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeout,
      requestTimeout: limits.requestTimeout,
      keepAliveTimeout: limits.keepAliveTimeout,
      maxHeaderSize: limits.maxHeaderSize,
      // How often node:http looks for connections past their timeouts; the default 30 s would
      // let a slow client outlive a short headersTimeout by that much.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(limits.headersTimeout, limits.requestTimeout || Infinity) / 4))),
      noDelay: true,
    },
    (incoming, outgoing) => {
      const transport = new NodeTransport(incoming, outgoing)
      const req = new Request(incoming.method ?? 'GET', incoming.url ?? '/', incoming.headers, transport, hooks.settings)
      let result: Response | Promise<Response>
      try {
        result = hooks.dispatch(req)
      } catch (error) {
        result = hooks.fallback(error, req)
      }
      if (result instanceof Promise) {
        result.then(
          (res) => send(transport, req, res, hooks, limits),
          (error: unknown) => send(transport, req, hooks.fallback(error, req), hooks, limits),
        )
      } else {
        send(transport, req, result, hooks, limits)
      }
    },
  )
  server.maxRequestsPerSocket = limits.maxRequestsPerConnection
  server.on('clientError', onClientError)
  return server
}

function send(transport: NodeTransport, req: Request, res: Response, hooks: EngineHooks, limits: H1Limits): void {
  const { incoming, outgoing } = transport
  if (outgoing.headersSent) {
    // A handler wrote to the socket some other way; nothing more can be said.
    discard(res.body)
    return
  }
  // An unread request body cannot be skipped cheaply, and a closing server must not keep
  // connections alive: both end the connection after this response.
  const closeAfter = hooks.closing() || (!incoming.complete && hasBody(incoming))
  try {
    writeResponse(outgoing, res, req.method === 'HEAD', closeAfter, limits.sendTimeout, () => transport.abort())
  } catch (error) {
    // Invalid header values and the like: answer 500 if nothing has been sent yet.
    if (!outgoing.headersSent) writeResponse(outgoing, hooks.fallback(error, req), false, true, limits.sendTimeout, () => {})
    else outgoing.destroy()
  }
}

function onClientError(error: Error & { code?: string }, socket: Socket): void {
  const pending = (socket as { _httpMessage?: ServerResponse })._httpMessage
  if (socket.writable && (pending === undefined || !pending.headersSent) && error.code !== 'ECONNRESET') {
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'HPE_HEADERS_TIMEOUT' ? 408 : 400
    const reason = statusText(status)
    const body = `${reason}\n`
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    )
    // A peer that stops reading must not keep the socket: end() flushes, then we let go.
    setTimeout(() => socket.destroy(), 1000).unref()
    return
  }
  socket.destroy()
}
