import { constants, createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import { Request, type EarlyHints, type IncomingHeaders, type RequestTransport } from '../request.ts'
import { TEXT_TYPE, type RecordedPush, type Response } from '../response.ts'
import { HttpError, statusText } from '../errors.ts'
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
  /**
   * A session that reads and writes nothing for this long is closed gracefully (GOAWAY); 0
   * never. Checked by a sweep every quarter of it, so the close comes within 1 to 1.25 times it.
   */
  idleTimeout: number
  sendTimeout: number
  /**
   * A stream with a request body must receive all of it (END_STREAM) within this many ms of
   * opening, or it is answered 408 (or reset, once its response has begun); 0 never. Streams
   * without a body (END_STREAM on HEADERS: GET, HEAD) get no timer at all.
   */
  requestTimeout: number
}

/** The engine: the node:http2 server (it never listens; connections are handed to it) and its sessions. */
export interface H2Engine {
  readonly server: Http2Server
  /** Hands a connection over (after its TLS handshake or its preface check); it becomes a session. */
  accept(socket: Socket): void
  readonly sessions: ReadonlyMap<ServerHttp2Session, unknown>
  /** Graceful: GOAWAY to every session; open streams finish, then each session closes. */
  closeAll(): void
  /** Ends every session now. */
  destroyAll(): void
}

/** What every stream of a session shares: looked up once per session, not per request. */
interface SessionFacts {
  readonly session: ServerHttp2Session
  /**
   * The connection itself, not `session.socket`: that proxy throws once the session is
   * destroyed, and a handler or the idle sweep may still look after that.
   */
  readonly socket: Socket
  readonly remoteAddress: string
  readonly encrypted: boolean
  /**
   * Fixed by the handshake: taken once per session, on its first stream (while the connection
   * is surely up), so it outlives the connection; a session that never opens a stream never
   * asks OpenSSL. Undefined until then.
   */
  tls: RequestTlsInfo | null | undefined
  readonly engine: StreamHandler
  readonly guard: SessionGuard
  /** Bytes read and written when the idle sweep last looked, and how many sweeps saw no change. */
  activity: number
  quiet: number
}

/** Sweeps per idleTimeout: a quiet session is closed on the fourth sweep that finds it unchanged. */
const IDLE_SWEEPS = 4

const ABORTED = AbortSignal.abort()
function ignore(): void {}

/** An EventEmitter's listener table (node internals, checked before use). */
type WithEvents = { _events?: Record<string, unknown> | null; _eventsCount: number }

/**
 * Gives a new stream its no-op 'error' listener. `stream.on()` costs about 1,400 instructions
 * here, a share of the whole request one can measure: it passes through Readable's `on` and
 * emits 'newListener', which node:http2 listens to on every stream (for events that are not
 * this one). A stream with no 'error' listener yet takes the entry directly, as `on()` would
 * store it; otherwise, or where the table is not there, `on()` does it.
 */
function silenceErrors(stream: ServerHttp2Stream): void {
  const emitter = stream as unknown as WithEvents
  const events = emitter._events
  if (typeof events === 'object' && events !== null && events.error === undefined) {
    events.error = ignore
    emitter._eventsCount++
  } else stream.on('error', ignore)
}

/** The engine's per-stream view of node:http2, implementing RequestTransport for weft's Request. */
class H2Transport implements RequestTransport {
  private controller: AbortController | null = null
  constructor(
    readonly stream: ServerHttp2Stream,
    readonly facts: SessionFacts,
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

  /** The request body came too late: req.signal aborts with the 408, now or when first read. */
  timedOut(error: HttpError): void {
    if (this.controller === null) this.controller = new AbortController()
    if (!this.controller.signal.aborted) this.controller.abort(error)
  }

  tls(): RequestTlsInfo | null {
    return this.facts.tls ?? null
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
        silenceErrors(pushed)
        facts.engine(pushed, request, facts, null)
      })
    } catch {
      // The session is going away or the client's stream limit is reached: nothing was promised.
      return false
    }
    return true
  }
}

type StreamHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders | Record<string, string>, facts: SessionFacts, onReset: (() => void) | null) => void

/** Creates the HTTP/2 engine; give it connections with `engine.accept(socket)`. */
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
  const sessions = new Map<ServerHttp2Session, SessionFacts>()
  // Idle sessions are found by one sweep for all of them rather than session.setTimeout(): that
  // timer is refreshed on every read and write of every stream, a measurable cost per request.
  // The sweep stops itself once it finds no session left, rather than on each session's close:
  // short connections one after another then cost no timer each.
  let sweeper: NodeJS.Timeout | null = null
  const sweep = (): void => {
    if (sessions.size === 0 && sweeper !== null) {
      clearInterval(sweeper)
      sweeper = null
      return
    }
    for (const facts of sessions.values()) {
      // Destroyed, its 'close' still to come: nothing left to close.
      if (facts.session.destroyed) continue
      const activity = facts.socket.bytesRead + facts.socket.bytesWritten
      if (activity !== facts.activity) {
        facts.activity = activity
        facts.quiet = 0
      } else if (++facts.quiet >= IDLE_SWEEPS && !facts.session.closed) facts.session.close()
    }
  }

  // The connection being handed over: node creates its session and emits 'session' within
  // the 'connection' emit, so the listener below finds it here.
  let accepting: Socket | null = null
  server.on('session', (session: ServerHttp2Session) => {
    // A session error (a bad frame, a reset socket) ends that session; nothing to report.
    session.on('error', ignore)
    const socket = accepting ?? (session.socket as Socket)
    const encrypted = (socket as { encrypted?: boolean }).encrypted === true
    const guard = new SessionGuard(session, limits, onFlood)
    const facts: SessionFacts = {
      session,
      socket,
      remoteAddress: socket.remoteAddress ?? '',
      encrypted,
      tls: encrypted ? undefined : null,
      engine: onStream,
      guard,
      activity: -1,
      quiet: 0,
    }
    sessions.set(session, facts)
    if (limits.idleTimeout > 0 && sweeper === null) sweeper = setInterval(sweep, limits.idleTimeout / IDLE_SWEEPS).unref()
    session.once('close', () => void sessions.delete(session))
    // node's own 'stream' listener only re-emits each stream on the server, where nobody
    // listens; with it there, every stream's emit would also copy the two-listener array.
    session.removeAllListeners('stream')
    session.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      // Without a listener, a stream reset with an error code would throw as unhandled.
      silenceErrors(stream)
      // A stream can be reset before its 'stream' event: when bytes read before the session
      // existed are handed over whole (the fallback preface sniffer), their streams are made
      // in one call from JavaScript and their events wait for it to end, so a first flight of
      // HEADERS and RST_STREAM pairs (the rapid-reset attack) arrives closed. Such a stream
      // counts against the budget, and no handler runs for it. (A destroyed stream no longer
      // knows its session, which is why this listens on each session rather than once on the
      // server.)
      if (stream.aborted) guard.onStreamAborted()
      else {
        if (facts.tls === undefined) facts.tls = tlsInfo(socket)
        onStream(stream, headers, facts, guard.onStreamAborted)
      }
    })
    // A connection accepted just before close() began is told to go away at once.
    if (hooks.closing()) session.close()
  })

  /**
   * Serves one stream. `onReset` counts the client's resets of streams it opened (null for our
   * pushes): it listens only while a response is pending, as a reset after the response has
   * ended is no reset at all, and so a synchronous answer costs no listener.
   */
  function onStream(stream: ServerHttp2Stream, raw: IncomingHttpHeaders | Record<string, string>, facts: SessionFacts, onReset: (() => void) | null): void {
    const method = raw[':method'] ?? 'GET'
    const path = raw[':path']
    const authority = raw[':authority']
    // Once the client has acknowledged our SETTINGS, node refuses a header block over
    // SETTINGS_MAX_HEADER_LIST_SIZE itself (RST_STREAM) and no stream is made. Requests in the
    // client's first flight come before that: they are measured here and answered 431, as over
    // HTTP/1.1.
    if (facts.session.pendingSettingsAck && headerListSize(raw) > limits.maxHeaderListSize) {
      if (!stream.destroyed) stream.respond({ ':status': 431 }, { endStream: true })
      return
    }
    // Pseudo-headers are dropped so req.headers looks as it does over HTTP/1.1; :authority
    // becomes Host, which an HTTP/2 client must not send alongside it (RFC 9113 §8.3.1). node's
    // header object is a null-prototype dictionary, made for this stream alone: deleting a few
    // keys from it costs less than copying the rest.
    delete raw[':method']
    delete raw[':path']
    delete raw[':scheme']
    delete raw[':authority']
    if (raw[':protocol'] !== undefined) delete raw[':protocol']
    const headers = raw as IncomingHeaders
    if (authority !== undefined && headers.host === undefined) headers.host = authority
    if (path === undefined || path.charCodeAt(0) !== 47) {
      // CONNECT (no :path), `OPTIONS *`, or an absolute path that is not one.
      const status = method === 'OPTIONS' && path === '*' ? 204 : method === 'CONNECT' ? 405 : 400
      if (!stream.destroyed) stream.respond({ ':status': status }, { endStream: true })
      return
    }
    const transport = new H2Transport(stream, facts)
    // Only a stream whose body is still to come can be held open by a slow client; odd ids are
    // the client's streams (RFC 9113 §5.1.1), even ones our pushes, which have no body.
    if (limits.requestTimeout > 0 && !stream.endAfterHeaders && ((stream.id ?? 0) & 1) === 1) armRequestTimeout(transport, limits)
    const req = new Request(method, path, headers, transport, hooks.settings)
    const result = dispatchSafely(hooks, req)
    if (result instanceof Promise) {
      // on, not once: 'aborted' fires at most once, and once() would wrap the listener.
      if (onReset !== null) stream.on('aborted', onReset)
      sendLater(result, transport, req)
    } else send(transport, req, result, onReset)
  }

  /**
   * The asynchronous answer's wait, apart from onStream: a closure there would make V8 give
   * every call a context for the variables it captures, synchronous answers included.
   */
  function sendLater(result: Promise<Response>, transport: H2Transport, req: Request): void {
    void result.then((res) => send(transport, req, res, null))
  }

  /** `onReset` is non-null when no reset listener is on the stream yet. */
  function send(transport: H2Transport, req: Request, res: Response, onReset: (() => void) | null): void {
    const stream = transport.stream
    if (stream.headersSent) {
      discard(res.body)
      return
    }
    // Declared pushes go first: PUSH_PROMISE must precede the response that refers to them
    // (RFC 9113 §8.4). A HEAD response has no content for them to accompany.
    if (res.pushes !== null && req.method !== 'HEAD') pushAll(req, res.pushes)
    let streaming = false
    try {
      streaming = writeH2Response(stream, res, req.method === 'HEAD', limits.sendTimeout, transport)
    } catch (error) {
      // Invalid header names or values: node:http2 refuses them before anything is sent.
      if (!stream.headersSent && !stream.destroyed) writeH2Response(stream, hooks.fallback(error, req), false, limits.sendTimeout, transport)
      else stream.close(constants.NGHTTP2_INTERNAL_ERROR)
    }
    // A streamed body is still going out: a reset now still cuts a response short.
    if (onReset !== null && streaming) stream.on('aborted', onReset)
    if (!stream.endAfterHeaders) stopUnreadBody(stream)
  }

  return {
    server,
    sessions,
    accept(socket) {
      accepting = socket
      try {
        server.emit('connection', socket)
      } finally {
        accepting = null
      }
    },
    closeAll() {
      for (const session of sessions.keys()) if (!session.closed) session.close()
    },
    destroyAll() {
      for (const session of sessions.keys()) session.destroy()
    },
  }
}

/** The header list size as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 §6.5.2). */
function headerListSize(raw: IncomingHttpHeaders | Record<string, string>): number {
  let size = 0
  for (const name in raw) {
    const value = raw[name]
    size += name.length + 32 + (typeof value === 'string' ? value.length : Array.isArray(value) ? value.join('').length + 32 * (value.length - 1) : 0)
  }
  return size
}

function pushAll(req: Request, pushes: readonly RecordedPush[]): void {
  // req.push returns false when the client refused push or the stream cannot push; the
  // response goes out regardless, as with the imperative form.
  for (const push of pushes) req.push(push.path, push.options)
}

const TIMEOUT_BODY = `${statusText(408)}\n`

/**
 * Bounds the time a stream's request body may take, as requestTimeout does for a whole
 * HTTP/1.1 request: without it, a client could trickle (or never finish) a body while keeping
 * the session alive with other streams and PINGs. One timer and two listeners, only for streams
 * with a body.
 */
function armRequestTimeout(transport: H2Transport, limits: H2Limits): void {
  const stream = transport.stream
  const timer = setTimeout(onRequestTimeout, limits.requestTimeout, transport, limits.sendTimeout)
  const clear = (): void => clearTimeout(timer)
  // 'end': the handler has read the whole body. 'close': the stream is over either way.
  stream.on('end', clear)
  stream.on('close', clear)
}

function onRequestTimeout(transport: H2Transport, sendTimeout: number): void {
  const stream = transport.stream
  if (stream.destroyed || stream.closed) return
  // END_STREAM has arrived and the body waits, unread, for the handler: the client is not late.
  if (stream.state.remoteClose === 1) return
  const error = new HttpError(408, 'The request body did not arrive within the request timeout')
  // The resets below are ours, not the client's: they must not count towards its reset budget.
  stream.off('aborted', transport.facts.guard.onStreamAborted)
  if (stream.headersSent) {
    // Part of the response is out: all that is left is to end the stream.
    transport.timedOut(error)
    cancelRequest(stream, constants.NGHTTP2_CANCEL, error)
    return
  }
  stream.respond({ ':status': 408, 'content-type': TEXT_TYPE, 'content-length': String(TIMEOUT_BODY.length) })
  stream.end(TIMEOUT_BODY)
  transport.timedOut(error)
  // Once the 408 is out, RST_STREAM(NO_ERROR) tells the client to stop sending without
  // discarding the answer (RFC 9113 §8.1). A client that does not take even the 408 (a closed
  // flow-control window) is cut off after sendTimeout, as a streamed response would be.
  const unread = setTimeout(cancelRequest, sendTimeout, stream, constants.NGHTTP2_CANCEL, error)
  stream.once('finish', () => {
    clearTimeout(unread)
    cancelRequest(stream, constants.NGHTTP2_NO_ERROR, error)
  })
  stream.once('close', () => clearTimeout(unread))
}

function cancelRequest(stream: ServerHttp2Stream, code: number, error: HttpError): void {
  if (stream.destroyed) return
  stream.close(code)
  // A body read still pending must fail, not hang; and after RST_STREAM(NO_ERROR) node would
  // end the readable side cleanly, passing a truncated body off as whole. Destroying with the
  // 408 rejects the read (and its handler answers nothing more: the response is out). The
  // RST_STREAM above keeps its code; node sends no second one.
  if (!stream.readableEnded) stream.destroy(error)
}
