import { createServer, type IncomingMessage, type Server as NodeServer, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { Request, type EarlyHints, type RequestSettings, type RequestTransport } from '../request.ts'
import { tlsInfo, type RequestTlsInfo } from '../tls-info.ts'
import type { Response } from '../response.ts'
import { statusText } from '../errors.ts'
import { discard, writeResponse, NOTHING_TO_ABORT } from './write.ts'
import { upgradeListener } from './node-upgrade.ts'
import type { WebSocketHub } from '../../ws/hub.ts'
import { dispatchSafely } from './dispatch.ts'

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
  /** WebSocket connections of this server; with it, upgrade requests are routed (node-upgrade.ts). */
  websockets?: WebSocketHub | null
}

const ABORTED = AbortSignal.abort()

/** The engine's per-request view of node:http; it implements RequestTransport for weft's Request. */
class NodeTransport implements RequestTransport {
  private controller: AbortController | null = null
  /** An `Expect: 100-continue` request whose 100 has not been sent: the client holds its body. */
  awaitingContinue = false
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
    // The body is wanted: only now invite the client to send it, so that a request refused
    // before reading (a 413 from Content-Length, a 401) is never uploaded.
    if (this.awaitingContinue) {
      this.awaitingContinue = false
      if (!this.outgoing.headersSent) this.outgoing.writeContinue()
    }
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

  tls(): RequestTlsInfo | null {
    return tlsInfo(this.incoming.socket)
  }

  earlyHints(hints: EarlyHints): void {
    // Only before the response itself; HTTP/1.0 clients cannot take an interim response.
    if (this.outgoing.headersSent || this.outgoing.destroyed || this.incoming.httpVersionMinor === 0) return
    this.outgoing.writeEarlyHints(hints)
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

/** Bodies up to this many bytes are read and dropped, rather than closing the connection. */
const DISCARD_LIMIT = 64 * 1024

function smallBody(incoming: IncomingMessage): boolean {
  const len = incoming.headers['content-length']
  return len !== undefined && Number(len) <= DISCARD_LIMIT
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
    (incoming, outgoing) => onRequest(incoming, outgoing, false),
  )
  // With a listener here node:http no longer sends 100 Continue by itself; NodeTransport.body()
  // sends it when the handler reads the body.
  server.on('checkContinue', (incoming: IncomingMessage, outgoing: ServerResponse) => onRequest(incoming, outgoing, true))
  server.maxRequestsPerSocket = limits.maxRequestsPerConnection
  server.on('clientError', onClientError)
  // Only requests with `Connection: upgrade` take this path; plain ones never see it.
  if (hooks.websockets != null) server.on('upgrade', upgradeListener(hooks, hooks.websockets))
  return server

  function onRequest(incoming: IncomingMessage, outgoing: ServerResponse, expectContinue: boolean): void {
    let url = incoming.url ?? '/'
    // One cheap test keeps the usual origin-form request ('/path') on the fast path.
    if (url.charCodeAt(0) !== 47 || incoming.httpVersionMajor !== 1) {
      const target = unusualTarget(incoming, outgoing, url)
      if (target === null) return
      url = target
    }
    const transport = new NodeTransport(incoming, outgoing)
    if (expectContinue) transport.awaitingContinue = hasBody(incoming)
    const req = new Request(incoming.method ?? 'GET', url, incoming.headers, transport, hooks.settings)
    const result = dispatchSafely(hooks, req)
    if (result instanceof Promise) sendLater(result, transport, req)
    else send(transport, req, result, hooks, limits)
  }

  /**
   * The asynchronous answer's wait, apart from onRequest: a closure there would make V8 give
   * every call a context for the variables it captures, synchronous answers included.
   */
  function sendLater(result: Promise<Response>, transport: NodeTransport, req: Request): void {
    void result.then((res) => send(transport, req, res, hooks, limits))
  }
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)([^#]*)/i

/**
 * Requests llhttp lets through that are not plain origin-form HTTP/1.x: another major version
 * (505), `OPTIONS *` (204: the server is here), absolute-form targets (RFC 9112 §3.2.2: route
 * on the path, and the target's authority replaces Host), anything else (400). Returns the
 * URL to route on, or null when the request has been answered here.
 */
function unusualTarget(incoming: IncomingMessage, outgoing: ServerResponse, url: string): string | null {
  if (incoming.httpVersionMajor !== 1) return answer(outgoing, 505)
  if (url === '*') return incoming.method === 'OPTIONS' ? answer(outgoing, 204) : answer(outgoing, 400)
  const m = ABSOLUTE_FORM.exec(url)
  if (m === null) return answer(outgoing, 400)
  if (m[1] !== '') incoming.headers.host = m[1]
  const rest = m[2]!
  return rest.charCodeAt(0) === 47 ? rest : `/${rest}`
}

function answer(outgoing: ServerResponse, status: number): null {
  const body = status === 204 ? '' : `${statusText(status)}\n`
  const headers = ['connection', 'close']
  if (body !== '') headers.push('content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length))
  outgoing.writeHead(status, headers)
  outgoing.end(body)
  return null
}

function send(transport: NodeTransport, req: Request, res: Response, hooks: EngineHooks, limits: H1Limits): void {
  const { incoming, outgoing } = transport
  if (outgoing.headersSent) {
    // A handler wrote to the socket some other way; nothing more can be said.
    discard(res.body)
    return
  }
  // A request body that is still arriving cannot be skipped cheaply, and a closing server must
  // not keep connections alive: both end the connection after this response. The exception is
  // a small body the handler never touched (a webhook answered 204, a sync handler answering
  // before the body's bytes are parsed): node:http discards it and the connection stays alive.
  // node:http only says Connection: close on the last request maxRequestsPerSocket allows and
  // leaves the socket open; asking for the close ourselves makes it end the connection too.
  // A client still waiting for 100 Continue may send its body or not: only closing is safe.
  const closeAfter =
    hooks.closing() ||
    transport.awaitingContinue ||
    (outgoing as { maxRequestsOnConnectionReached?: boolean }).maxRequestsOnConnectionReached === true ||
    (!incoming.complete && hasBody(incoming) && (req.bodyUsed || !smallBody(incoming)))
  try {
    writeResponse(outgoing, res, req.method === 'HEAD', closeAfter, limits.sendTimeout, transport)
  } catch (error) {
    // Invalid header values and the like: answer 500 if nothing has been sent yet.
    if (!outgoing.headersSent) writeResponse(outgoing, hooks.fallback(error, req), false, true, limits.sendTimeout, NOTHING_TO_ABORT)
    else outgoing.destroy()
  }
}

function onClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET') {
    socket.destroy()
    return
  }
  const pending = (socket as { _httpMessage?: ServerResponse })._httpMessage
  if (pending !== undefined && pending.req.complete && !pending.writableFinished) {
    // The error is in a later, pipelined request; the one in flight was read whole and gets
    // its answer first (a 400 now would be taken as that answer), then the error's.
    pending.once('finish', () => rejectRequest(error, socket))
    return
  }
  if (pending !== undefined && pending.headersSent) {
    socket.destroy()
    return
  }
  rejectRequest(error, socket)
}

/** Answers a request the parser refused and ends the connection. */
function rejectRequest(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'HPE_HEADERS_TIMEOUT' ? 408 : 400
  const reason = statusText(status)
  const body = `${reason}\n`
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
  // A peer that stops reading must not keep the socket: end() flushes, then we let go.
  setTimeout(() => socket.destroy(), 1000).unref()
}
