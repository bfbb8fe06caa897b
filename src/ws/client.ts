// The WebSocket client: `connect(url, options)` returns a WebSocketClient at once, which dials,
// hands the upgraded socket to the same WebSocket connection class the server uses (role
// 'client': frames masked), and, with `reconnect`, dials again after a loss with exponential
// backoff and full jitter. The client object stays the same across reconnections; the
// connection under it changes. Messages sent while no connection is open wait in a bounded
// queue and go out in order once one opens.
import { type CloseInfo, type ReconnectPolicy, backoffDelay, reconnectPolicy } from './backoff.ts'
import { WebSocketHandshakeError, WebSocketQueueFullError } from './client-errors.ts'
import { Emitter } from './client-events.ts'
import { type HandshakeOptions, type HandshakeResult, checkHeaders, checkProtocols, clientHandshake, parseWebSocketUrl } from './client-handshake.ts'
import { Inbox } from './client-inbox.ts'
import { CLIENT_DEFAULTS, type ClientEvents, type ConnectOptions } from './client-options.ts'
import { OfflineQueue } from './client-queue.ts'
import { CloseCode, MAX_CLOSE_REASON, isValidCloseCode } from './close-codes.ts'
import { CLOSED, CLOSING, CONNECTING, type ConnectionConfig, OPEN } from './connection-send.ts'
import { WebSocket } from './connection.ts'
import { type DeflateConfig, validateDeflateConfig } from './deflate-negotiation.ts'
import { WebSocketError } from './errors.ts'
import { ConnectionGroup } from './heartbeat.ts'
import { type DeflateOptions, PerMessageDeflate } from './permessage-deflate.ts'
import type { SendOptions, SendStatus, WebSocketData, WebSocketHandlers, WebSocketMessage } from './types.ts'

type Conn = WebSocket<undefined>

/** Opens a WebSocket client connection to `url` (ws://, wss://). Throws at once on an invalid URL or option. */
export function connect(url: string | URL, options: ConnectOptions = {}): WebSocketClient {
  return new WebSocketClient(url, options)
}

export class WebSocketClient extends Emitter<ClientEvents> implements AsyncIterable<WebSocketMessage> {
  /** The URL dialed (ws: or wss:). */
  readonly url: string
  /** 0 connecting (also while waiting to reconnect), 1 open, 2 closing, 3 closed for good. */
  readyState: number = CONNECTING
  /** The subprotocol of the current (or last) connection ('' for none). */
  protocol = ''
  /** The Sec-WebSocket-Extensions of the current (or last) connection ('' for none). */
  extensions = ''
  private readonly target: URL
  private readonly handshake: HandshakeOptions
  private readonly group: ConnectionGroup
  private readonly policy: ReconnectPolicy | null
  private readonly queue: OfflineQueue
  private readonly inbox: Inbox
  private conn: Conn | null = null
  private abort: AbortController | null = null
  private timer: unknown = null
  private attempt = 0
  private everOpened = false
  private userClosed = false
  private final: CloseInfo | null = null
  private openedPromise: Promise<void> | null = null
  private openedSettle: { resolve(): void; reject(e: Error): void } | null = null
  private closedPromise: Promise<CloseInfo> | null = null
  private closedResolve: ((info: CloseInfo) => void) | null = null

  constructor(url: string | URL, options: ConnectOptions = {}) {
    super()
    this.target = parseWebSocketUrl(url)
    this.url = this.target.href
    const protocols = typeof options.protocols === 'string' ? [options.protocols] : [...(options.protocols ?? [])]
    checkProtocols(protocols)
    checkHeaders(options.headers)
    let deflate: DeflateConfig | null = null
    const deflateOptions: { -readonly [K in keyof Omit<DeflateOptions, 'limiter'>]: DeflateOptions[K] } = {}
    if (options.deflate !== undefined && options.deflate !== false) {
      const d = options.deflate === true ? {} : options.deflate
      validateDeflateConfig(d)
      deflate = { serverNoContextTakeover: d.serverNoContextTakeover, clientNoContextTakeover: d.clientNoContextTakeover, serverMaxWindowBits: d.serverMaxWindowBits, clientMaxWindowBits: d.clientMaxWindowBits }
      if (d.threshold !== undefined) deflateOptions.threshold = d.threshold
      if (d.level !== undefined) deflateOptions.level = d.level
      if (d.memLevel !== undefined) deflateOptions.memLevel = d.memLevel
    }
    this.handshake = {
      headers: options.headers,
      protocols,
      origin: options.origin,
      deflate,
      timeout: positive('handshakeTimeout', options.handshakeTimeout, CLIENT_DEFAULTS.handshakeTimeout),
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      passphrase: options.passphrase,
      rejectUnauthorized: options.rejectUnauthorized,
      servername: options.servername,
    }
    const heartbeat = options.heartbeat ?? true
    const maxPayload = positive('maxPayload', options.maxPayload, CLIENT_DEFAULTS.maxPayload)
    this.group = new ConnectionGroup(
      {
        handlers: this.handlers() as WebSocketHandlers<never>,
        maxPayload,
        maxBackpressure: positive('maxBackpressure', options.maxBackpressure, CLIENT_DEFAULTS.maxBackpressure),
        closeTimeout: positive('closeTimeout', options.closeTimeout, CLIENT_DEFAULTS.closeTimeout),
        deflateOptions,
        heartbeat: heartbeat === false ? 0 : heartbeat === true ? CLIENT_DEFAULTS.heartbeat : positive('heartbeat', heartbeat, 0),
        idleTimeout: 0,
      },
      null,
    )
    this.policy = reconnectPolicy(options.reconnect)
    this.queue = new OfflineQueue(options.queue)
    this.inbox = new Inbox(Math.max(maxPayload, 1024 * 1024), (paused) => {
      if (this.conn === null) return
      if (paused) this.conn.socket.pause()
      else this.conn.socket.resume()
    })
    this.dial()
  }

  /** Resolves when the first connection opens; rejects if the client closes for good before that. */
  get opened(): Promise<void> {
    if (this.openedPromise === null) {
      if (this.everOpened) this.openedPromise = Promise.resolve()
      else if (this.final !== null) this.openedPromise = Promise.reject(this.final.error ?? new Error('the WebSocket closed before it opened'))
      else this.openedPromise = new Promise((resolve, reject) => (this.openedSettle = { resolve, reject }))
    }
    return this.openedPromise
  }

  /** Resolves (never rejects) when the client is closed for good, with the final close. */
  get closed(): Promise<CloseInfo> {
    if (this.closedPromise === null) {
      this.closedPromise = this.final !== null ? Promise.resolve(this.final) : new Promise((resolve) => (this.closedResolve = resolve))
    }
    return this.closedPromise
  }

  /** Bytes accepted and not yet written: the connection's buffers and the offline queue. */
  get bufferedAmount(): number {
    return (this.conn === null ? 0 : this.conn.bufferedAmount) + this.queue.bytes
  }

  /**
   * Sends a message (a string as text, bytes as binary). Open: as the connection's send
   * (`'sent'`, `'queued'` under backpressure, `'dropped'` past `maxBackpressure`). Not open yet,
   * or reconnecting: `'queued'` in the offline queue, or `'dropped'` with a
   * WebSocketQueueFullError 'error' event when it is full. Closed or closing: `'dropped'`.
   */
  send(data: WebSocketData, options?: SendOptions): SendStatus {
    if (this.userClosed || this.final !== null) return 'dropped'
    const conn = this.conn
    if (conn !== null && conn.readyState === OPEN && this.queue.length === 0) return conn.send(data, options)
    if (this.queue.push(data, options)) return 'queued'
    this.report(new WebSocketQueueFullError(this.queue.maxMessages, this.queue.maxBytes), false)
    return 'dropped'
  }

  /** Sends a ping (payload up to 125 bytes) when open; false when there is no open connection. */
  ping(data: string | Uint8Array = ''): boolean {
    if (this.conn === null || this.conn.readyState !== OPEN) return false
    this.conn.ping(data)
    return true
  }

  /**
   * Closes for good: the close handshake when open, else the attempt in progress is abandoned
   * and no reconnection follows. Throws on a code that may not be sent or a reason over 123 bytes.
   */
  close(code?: number, reason = ''): void {
    if (code === undefined ? reason !== '' : !(Number.isInteger(code) && isValidCloseCode(code))) throw new RangeError(code === undefined ? 'a close reason needs a close code' : `invalid close code ${code}`)
    if (Buffer.byteLength(reason) > MAX_CLOSE_REASON) throw new RangeError(`close reason is over ${MAX_CLOSE_REASON} bytes`)
    this.stop(false, code, reason)
  }

  /** Closes for good without a close handshake (reported as 1006). */
  terminate(): void {
    this.stop(true, undefined, '')
  }

  /** Messages until the client is closed for good; throws if it failed (never connected, or gave up reconnecting after an error). Breaking out of the loop closes the client. */
  [Symbol.asyncIterator](): AsyncIterator<WebSocketMessage> {
    this.inbox.start()
    return {
      next: () => this.inbox.next(),
      return: (): Promise<IteratorResult<WebSocketMessage>> => {
        this.close(CloseCode.Normal)
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }

  protected override listening(event: keyof ClientEvents): void {
    if (event === 'message') this.inbox.ignore()
  }

  // ---- Connection lifecycle ----

  private dial(): void {
    const abort = new AbortController()
    this.abort = abort
    this.readyState = CONNECTING
    clientHandshake(this.target, this.handshake, abort.signal).then(
      (result) => this.connected(result, abort),
      (error: Error) => this.dialFailed(error, abort),
    )
  }

  private connected(result: HandshakeResult, abort: AbortController): void {
    if (this.abort === abort) this.abort = null
    if (this.userClosed) {
      result.socket.destroy()
      this.end({ code: CloseCode.Abnormal, reason: '', wasClean: false })
      return
    }
    const deflate = result.deflate === null ? null : new PerMessageDeflate('client', result.deflate, this.group.deflateOptions)
    const conn = new WebSocket<undefined>(result.socket, 'client', this.group as unknown as ConnectionConfig<undefined>, deflate, undefined, result.protocol, result.extensions)
    this.conn = conn
    this.group.add(conn as unknown as WebSocket<unknown>)
    // The handshake paused the socket so that nothing could be read before the listeners exist.
    conn.start(result.head.length > 0 ? result.head : null)
    if (!this.inbox.paused && conn.readyState !== CLOSED) result.socket.resume()
  }

  private dialFailed(error: Error, abort: AbortController): void {
    if (this.abort === abort) this.abort = null
    if (this.userClosed) {
      this.end({ code: CloseCode.Abnormal, reason: '', wasClean: false })
      return
    }
    this.report(error, false)
    this.lost({ code: CloseCode.Abnormal, reason: '', wasClean: false, error })
  }

  private onOpen(conn: Conn): void {
    this.readyState = OPEN
    this.protocol = conn.protocol
    this.extensions = conn.extensions
    this.attempt = 0
    this.everOpened = true
    this.openedSettle?.resolve()
    this.openedSettle = null
    if (this.inbox.paused) conn.socket.pause()
    // A throw here closes the connection with 1011 (the connection class reports it).
    this.emit('open')
    this.flushQueue()
  }

  /** Sends what was queued while offline, in order, until the connection refuses one. */
  private flushQueue(): void {
    const conn = this.conn
    while (conn !== null && conn.readyState === OPEN && !this.userClosed) {
      const item = this.queue.peek()
      if (item === undefined) return
      if (conn.send(item.data, item.options) === 'dropped') return
      this.queue.shift()
    }
  }

  private connectionClosed(conn: Conn, code: number, reason: string): void {
    if (this.conn !== conn) return
    this.conn = null
    this.lost({ code, reason, wasClean: code !== CloseCode.Abnormal })
  }

  /** A connection or an attempt ended: reconnect or stop, as the policy says. */
  private lost(info: CloseInfo): void {
    const policy = this.policy
    if (this.userClosed || policy === null || !this.wantsReconnect(policy, info)) return this.end(info)
    if (this.attempt >= policy.attempts) return this.end(info)
    const delay = backoffDelay(this.attempt, policy)
    this.attempt++
    this.readyState = CONNECTING
    this.timer = policy.timers.setTimeout(() => {
      this.timer = null
      if (!this.userClosed && this.final === null) this.dial()
    }, delay)
    this.fire('reconnect', { ...info, attempt: this.attempt, delay })
  }

  private wantsReconnect(policy: ReconnectPolicy, info: CloseInfo): boolean {
    if (policy.shouldReconnect === null) {
      // A server's 1000 means the session is over on purpose; a handshake refusal that would be
      // refused again (403, a bad 101) is not worth repeating.
      if (info.code === CloseCode.Normal) return false
      return !(info.error instanceof WebSocketHandshakeError && !info.error.retryable)
    }
    try {
      return policy.shouldReconnect(info) === true
    } catch (e) {
      this.report(e instanceof Error ? e : new Error(String(e)), true)
      return false
    }
  }

  private stop(terminate: boolean, code: number | undefined, reason: string): void {
    if (this.userClosed || this.final !== null) return
    this.userClosed = true
    this.readyState = CLOSING
    if (this.timer !== null && this.policy !== null) this.policy.timers.clearTimeout(this.timer)
    this.timer = null
    const conn = this.conn
    if (conn !== null) {
      // The connection's close handler ends the client (a closing connection is waited for).
      if (terminate) conn.terminate()
      else if (conn.readyState === OPEN) conn.close(code, reason)
      return
    }
    if (this.abort !== null) {
      this.abort.abort()
      return
    }
    // Between attempts: nothing to close.
    queueMicrotask(() => this.end({ code: terminate ? CloseCode.Abnormal : (code ?? CloseCode.NoStatus), reason, wasClean: !terminate }))
  }

  private end(info: CloseInfo): void {
    if (this.final !== null) return
    this.final = info
    this.readyState = CLOSED
    if (this.timer !== null && this.policy !== null) this.policy.timers.clearTimeout(this.timer)
    this.timer = null
    this.queue.clear()
    this.inbox.end(info.error ?? null)
    if (this.openedSettle !== null) {
      this.openedSettle.reject(info.error ?? new Error('the WebSocket closed before it opened'))
      this.openedSettle = null
    }
    this.closedResolve?.(info)
    this.closedResolve = null
    this.fire('close', info)
  }

  /** The connection's handlers: one set per client, shared by its successive connections. */
  private handlers(): WebSocketHandlers<undefined> {
    return {
      open: (ws) => this.onOpen(ws),
      message: (_ws, message) => {
        this.inbox.push(message)
        this.emit('message', message)
      },
      ping: (_ws, data) => void this.fire('ping', data),
      pong: (_ws, data) => void this.fire('pong', data),
      drain: () => void this.fire('drain'),
      // A protocol failure by the server, or a throw in an 'open'/'message' listener.
      error: (_ws, error) => this.report(error, !(error instanceof WebSocketError)),
      close: (ws, code, reason) => this.connectionClosed(ws, code, reason),
    }
  }

  /** Emits, reporting a listener's throw instead of letting it unwind into a socket or zlib callback. */
  private fire<K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]): void {
    try {
      this.emit(event, ...args)
    } catch (e) {
      if (event === 'error') console.error(e)
      else this.report(e instanceof Error ? e : new Error(String(e)), true)
    }
  }

  /** An 'error' event; without a listener, a bug in user code is logged, connection failures are not (they reach opened/closed/iteration). */
  private report(error: Error, fromListener: boolean): void {
    if (this.listenerCount('error') > 0) this.fire('error', error)
    else if (fromListener) console.error(error)
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!(value > 0)) throw new RangeError(`${name} must be a positive number`)
  return value
}
