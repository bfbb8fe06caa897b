import { constants, createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import { Request, type EarlyHints, type IncomingHeaders, type RequestTransport } from '../request.ts'
import type { Response } from '../response.ts'
import { tlsInfo, type RequestTlsInfo } from '../tls-info.ts'
import type { EngineHooks } from './node-h1.ts'
import { writeH2Response, stopUnreadBody } from './h2-write.ts'
import { SessionGuard, type FloodKind, type FloodLimits } from './h2-guard.ts'
import { discard } from './write.ts'
import { dispatchSafely } from './dispatch.ts'

/** Settings and limits of the node:http2 engine (times in ms). */
export interface H2Limits extends FloodLimits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: open streams a client may have per session. */
  maxConcurrentStreams: number
  /** SETTINGS_INITIAL_WINDOW_SIZE: bytes a client may send on a stream before we ask for more. */
  initialWindowSize: number
  /** SETTINGS_MAX_HEADER_LIST_SIZE: largest decoded header block; larger ones are refused. */
  maxHeaderListSize: number
  /** Memory nghttp2 may use per session, in MB, before new streams are refused. */
  maxSessionMemory: number
  /** A session with no frames for this long is closed gracefully (GOAWAY); 0 never. */
  idleTimeout: number
  sendTimeout: number
}

/** The engine: the node:http2 server (it never listens; connections are handed to it) and its sessions. */
export interface H2Engine {
  readonly server: Http2Server
  readonly sessions: ReadonlySet<ServerHttp2Session>
  /** Graceful: GOAWAY to every session; open streams finish, then each session closes. */
  closeAll(): void
  /** Ends every session now. */
  destroyAll(): void
}

/** What every stream of a session shares: looked up once per session, not per request. */
interface SessionFacts {
  readonly socket: Socket
  readonly remoteAddress: string
  readonly encrypted: boolean
  readonly engine: StreamHandler
}

const ABORTED = AbortSignal.abort()
function ignore(): void {}

/** The engine's per-stream view of node:http2, implementing RequestTransport for weft's Request. */
class H2Transport implements RequestTransport {
  private controller: AbortController | null = null
  constructor(
    readonly stream: ServerHttp2Stream,
    private readonly facts: SessionFacts,
  ) {}

  get remoteAddress(): string {
    return this.facts.remoteAddress
  }

  get encrypted(): boolean {
    return this.facts.encrypted
  }

  get httpVersion(): string {
    return '2.0'
  }

  body(): AsyncIterator<Uint8Array> | null {
    // END_STREAM on the HEADERS frame: the client said there is no body.
    if (this.stream.endAfterHeaders) return null
    return this.stream.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]()
  }

  signal(): AbortSignal {
    if (this.controller !== null) return this.controller.signal
    const stream = this.stream
    if (stream.writableFinished) return new AbortController().signal
    if (stream.destroyed || stream.aborted) return ABORTED
    const controller = (this.controller = new AbortController())
    // 'aborted': RST_STREAM from the client, or the session torn down, before our response ended.
    stream.once('aborted', () => this.abort())
    stream.once('close', () => {
      if (!stream.writableFinished) this.abort()
    })
    return controller.signal
  }

  abort(): void {
    if (this.controller !== null && !this.controller.signal.aborted) this.controller.abort(new Error('client disconnected'))
  }

  tls(): RequestTlsInfo | null {
    return tlsInfo(this.facts.socket)
  }

  earlyHints(hints: EarlyHints): void {
    const stream = this.stream
    if (stream.headersSent || stream.destroyed) return
    stream.additionalHeaders({ ...hints, ':status': 103 })
  }

  push(path: string, headers: Record<string, string>): boolean {
    const stream = this.stream
    // pushAllowed is false when the client sent SETTINGS_ENABLE_PUSH=0 (every browser today),
    // and on pushed streams themselves: a push cannot push.
    if (!stream.pushAllowed || stream.destroyed || stream.closed || stream.session?.closed !== false) return false
    const request: Record<string, string> = {}
    for (const name in headers) if (name !== 'host') request[name] = headers[name]!
    request[':method'] = 'GET'
    request[':path'] = path
    request[':scheme'] = this.facts.encrypted ? 'https' : 'http'
    request[':authority'] = headers.host ?? ''
    const facts = this.facts
    try {
      stream.pushStream(request, (error, pushed) => {
        if (error !== null) return
        facts.engine(pushed, request, facts)
      })
    } catch {
      // The session is going away or the client's stream limit is reached: nothing was promised.
      return false
    }
    return true
  }
}

type StreamHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders | Record<string, string>, facts: SessionFacts) => void

/** Creates the HTTP/2 engine; give it connections with `engine.server.emit('connection', socket)`. */
export function createH2Engine(hooks: EngineHooks, limits: H2Limits, onFlood: ((kind: FloodKind, session: ServerHttp2Session) => void) | null = null): H2Engine {
  const server = createServer({
    settings: {
      maxConcurrentStreams: limits.maxConcurrentStreams,
      initialWindowSize: limits.initialWindowSize,
      maxHeaderListSize: limits.maxHeaderListSize,
      // Server push is the server's to offer; this setting is the client's, sent for clarity.
      enablePush: false,
    },
    maxSessionMemory: limits.maxSessionMemory,
    // A request's header block may hold this many fields; node's default of 128 is kept in step
    // with the byte limit instead (h1 has no count limit, only the size one).
    maxHeaderListPairs: Math.max(128, Math.floor(limits.maxHeaderListSize / 32)),
  })
  const sessions = new Set<ServerHttp2Session>()

  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session)
    session.once('close', () => sessions.delete(session))
    // A session error (a bad frame, a reset socket) ends that session; nothing to report.
    session.on('error', ignore)
    const socket = session.socket as Socket
    const facts: SessionFacts = { socket, remoteAddress: socket.remoteAddress ?? '', encrypted: (socket as { encrypted?: boolean }).encrypted === true, engine: onStream }
    const guard = new SessionGuard(session, limits, onFlood)
    if (limits.idleTimeout > 0) session.setTimeout(limits.idleTimeout, () => session.close())
    session.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      // on, not once: 'aborted' fires at most once, and once() would wrap the listener per stream.
      stream.on('aborted', guard.onStreamAborted)
      onStream(stream, headers, facts)
    })
    // A connection accepted just before close() began is told to go away at once.
    if (hooks.closing()) session.close()
  })

  function onStream(stream: ServerHttp2Stream, raw: IncomingHttpHeaders | Record<string, string>, facts: SessionFacts): void {
    // Without a listener, a stream reset with an error code would throw as unhandled.
    stream.on('error', ignore)
    const method = raw[':method'] ?? 'GET'
    const path = raw[':path']
    // Pseudo-headers are dropped so req.headers looks as it does over HTTP/1.1; :authority
    // becomes Host, which an HTTP/2 client must not send alongside it (RFC 9113 §8.3.1).
    const headers: IncomingHeaders = {}
    // The header list size as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 §6.5.2). nghttp2
    // enforces our setting only once the client has acknowledged it, so requests in the
    // client's first flight are measured here, and answered 431 as over HTTP/1.1.
    let size = 0
    for (const name in raw) {
      const value = raw[name]
      size += name.length + 32 + (typeof value === 'string' ? value.length : Array.isArray(value) ? value.join('').length + 32 * (value.length - 1) : 0)
      if (name.charCodeAt(0) !== 58) headers[name] = value
    }
    if (size > limits.maxHeaderListSize) {
      if (!stream.destroyed) stream.respond({ ':status': 431 }, { endStream: true })
      return
    }
    const authority = raw[':authority']
    if (authority !== undefined && headers.host === undefined) headers.host = authority
    if (path === undefined || path.charCodeAt(0) !== 47) {
      // CONNECT (no :path), `OPTIONS *`, or an absolute path that is not one.
      const status = method === 'OPTIONS' && path === '*' ? 204 : method === 'CONNECT' ? 405 : 400
      if (!stream.destroyed) stream.respond({ ':status': status }, { endStream: true })
      return
    }
    const transport = new H2Transport(stream, facts)
    const req = new Request(method, path, headers, transport, hooks.settings)
    const result = dispatchSafely(hooks, req)
    if (result instanceof Promise) void result.then((res) => send(transport, req, res))
    else send(transport, req, result)
  }

  function send(transport: H2Transport, req: Request, res: Response): void {
    const stream = transport.stream
    if (stream.headersSent) {
      discard(res.body)
      return
    }
    try {
      writeH2Response(stream, res, req.method === 'HEAD', limits.sendTimeout, () => transport.abort())
    } catch (error) {
      // Invalid header names or values: node:http2 refuses them before anything is sent.
      if (!stream.headersSent && !stream.destroyed) writeH2Response(stream, hooks.fallback(error, req), false, limits.sendTimeout, ignore)
      else stream.close(constants.NGHTTP2_INTERNAL_ERROR)
    }
    if (!stream.endAfterHeaders) stopUnreadBody(stream)
  }

  return {
    server,
    sessions,
    closeAll() {
      for (const session of sessions) if (!session.closed) session.close()
    },
    destroyAll() {
      for (const session of sessions) session.destroy()
    },
  }
}
