// One WebSocket connection over a socket: the parser on the way in, the close handshake, and
// the bookkeeping the heartbeat sweep and pub/sub need. The sending half (send queue,
// backpressure, broadcast batches, drain) is the base class in connection-send.ts; socket event
// wiring is in connection-socket.ts.
// Role-aware ('server' | 'client'): the role decides masking (parser and writer) and who ends
// TCP first; the server upgrade (hub.ts) and the client (client.ts) both build on this class.
//
// Memory matters here (thousands of idle connections): the class holds a few scalar fields,
// the parser, and nothing lazily needed (send queue, topic set, zlib streams) until used.
// Socket events go to shared functions that find the connection through a symbol on the socket,
// and the parser calls this object's methods: no closure per connection.
import type { Socket } from 'node:net'
import { CloseCode, MAX_CLOSE_REASON } from './close-codes.ts'
import { WebSocketError } from './errors.ts'
import { FrameParser, type FrameHandler } from './frame-parser.ts'
import { encodeClose, encodeControl } from './frame-writer.ts'
import { Opcode } from './opcodes.ts'
import type { PerMessageDeflate } from './permessage-deflate.ts'
import { CLOSED, CLOSE_QUEUED, CLOSE_RECEIVED, CLOSE_WRITTEN, CLOSING, type ConnectionConfig, ConnectionSender, FAILED, OPEN } from './connection-send.ts'
import { attachSocket, onCloseTimeout } from './connection-socket.ts'
import type { SendOptions, WebSocketData } from './types.ts'

export { CONNECTING, OPEN, CLOSING, CLOSED, type ConnectionConfig } from './connection-send.ts'

const SERVER_PING = encodeControl(Opcode.Ping, '', false)

export class WebSocket<Data = unknown> extends ConnectionSender<Data> implements FrameHandler {
  /** Per-connection user data: what the route's `upgrade` hook returned. */
  data: Data
  /** The subprotocol agreed in the handshake ('' for none). */
  readonly protocol: string
  /** The Sec-WebSocket-Extensions value agreed in the handshake ('' for none). */
  readonly extensions: string
  /** @internal Topics this connection is subscribed to (created on the first subscribe). */
  topicSet: Set<string> | null = null
  // Heartbeat sweep state (see heartbeat.ts).
  /** @internal Something arrived since the last sweep. */ seen = true
  /** @internal A ping is unanswered. */ pinged = false
  /** @internal Sweeps without anything received. */ idleTicks = 0
  private readonly parser: FrameParser
  private closeCode: number = CloseCode.Abnormal
  private closeReason = ''
  private closeTimer: NodeJS.Timeout | null = null

  /** @internal Created by the server upgrade or the client; call `start()` next. */
  constructor(socket: Socket, role: 'server' | 'client', config: ConnectionConfig<Data>, deflate: PerMessageDeflate | null, data: Data, protocol: string, extensions: string) {
    super(socket, role === 'server', config, deflate)
    this.data = data
    this.protocol = protocol
    this.extensions = extensions
    this.parser = new FrameParser(this, { role, maxPayload: config.maxPayload, inflater: deflate })
  }

  /** @internal Attaches the socket, calls `open`, then parses `head` (bytes that came with the handshake). */
  start(head: Buffer | null): void {
    attachSocket(this.socket, this.erased)
    const open = this.config.handlers.open
    if (open !== undefined) this.call(open, undefined)
    if (head !== null && head.length > 0 && this.readyState === OPEN) this.receive(head)
  }

  /** This connection with its user data type erased, for the shared registries. */
  private get erased(): WebSocket<unknown> {
    return this as unknown as WebSocket<unknown>
  }

  /** The peer's address. */
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? ''
  }

  /** Topics this connection is subscribed to. */
  get topics(): string[] {
    return this.topicSet === null ? [] : [...this.topicSet]
  }

  /** A ping (payload up to 125 bytes); the peer answers with a pong. */
  ping(data: string | Uint8Array = ''): void {
    if (this.readyState !== OPEN) return
    this.socket.write(this.isServer && data === '' ? SERVER_PING : encodeControl(Opcode.Ping, data, !this.isServer))
  }

  /**
   * Starts the close handshake: sends a close frame (after the messages already queued) and
   * waits up to `closeTimeout` for the peer's, then ends the socket. Throws on a code that may
   * not be sent or a reason over 123 bytes.
   */
  close(code?: number, reason = ''): void {
    if (this.readyState !== OPEN || (this.flags & CLOSE_QUEUED) !== 0) return
    const frame = encodeClose(code, reason, !this.isServer)
    this.closeCode = code ?? CloseCode.NoStatus
    this.closeReason = reason
    this.sendClose(frame)
  }

  /** Destroys the socket at once, without a close handshake (reported as 1006). */
  terminate(): void {
    if (this.readyState === CLOSED) return
    this.closeCode = CloseCode.Abnormal
    this.closeReason = ''
    this.flags &= ~CLOSE_RECEIVED
    this.socket.destroy()
  }

  // ---- Topics (pub/sub); see pubsub.ts ----

  /** Subscribes to a topic; false if already subscribed (or closed). */
  subscribe(topic: string): boolean {
    return this.readyState === OPEN && this.config.pubsub !== null && this.config.pubsub.subscribe(this.erased, topic)
  }

  unsubscribe(topic: string): boolean {
    return this.config.pubsub !== null && this.config.pubsub.unsubscribe(this.erased, topic)
  }

  isSubscribed(topic: string): boolean {
    return this.topicSet !== null && this.topicSet.has(topic)
  }

  /** Sends to every subscriber of `topic` but this connection; returns how many it reached. */
  publish(topic: string, data: WebSocketData, options?: SendOptions): number {
    return this.config.pubsub === null ? 0 : this.config.pubsub.publish(topic, data, options, this.erased)
  }

  // ---- Parser callbacks (FrameHandler) ----

  /** @internal */
  onMessage(data: Buffer, binary: boolean): void {
    if (this.readyState !== OPEN || (this.flags & CLOSE_QUEUED) !== 0) return
    const fn = this.config.handlers.message
    if (fn !== undefined) this.call(fn, binary ? data : data.toString('utf8'))
  }

  /** @internal */
  onPing(data: Buffer): void {
    if (this.readyState !== OPEN || (this.flags & CLOSE_QUEUED) !== 0) return
    this.socket.write(encodeControl(Opcode.Pong, data, !this.isServer))
    const fn = this.config.handlers.ping
    if (fn !== undefined) this.call(fn, data)
  }

  /** @internal */
  onPong(data: Buffer): void {
    this.pinged = false
    if (this.readyState !== OPEN) return
    const fn = this.config.handlers.pong
    if (fn !== undefined) this.call(fn, data)
  }

  /** @internal The peer's close frame: answer it (unless ours is out already) and end. */
  onClose(code: number, reason: string): void {
    this.flags |= CLOSE_RECEIVED
    if ((this.flags & CLOSE_QUEUED) === 0) {
      // Echo the code (RFC 6455 5.5.1); a close without a code is answered without one.
      this.closeCode = code
      this.closeReason = reason
      this.sendClose(encodeClose(code === CloseCode.NoStatus ? undefined : code, '', !this.isServer))
    } else {
      if ((this.flags & FAILED) === 0) {
        this.closeCode = code
        this.closeReason = reason
      }
      if ((this.flags & CLOSE_WRITTEN) !== 0) this.endTcp()
    }
  }

  /** @internal A protocol failure: close with its code and end the connection. */
  onError(code: number, message: string): void {
    this.flags |= FAILED
    const error = new WebSocketError(code, message)
    const fn = this.config.handlers.error
    if (fn !== undefined) {
      try {
        fn(this, error)
      } catch (e) {
        console.error(e)
      }
    }
    if ((this.flags & CLOSE_QUEUED) === 0 && this.readyState === OPEN) {
      this.closeCode = code
      this.closeReason = Buffer.byteLength(message) <= MAX_CLOSE_REASON ? message : ''
      this.sendClose(encodeClose(code, this.closeReason, !this.isServer))
    } else if ((this.flags & CLOSE_WRITTEN) !== 0) {
      this.endTcp()
    }
  }

  // ---- Internals ----

  /** @internal Bytes from the socket. Corked so that replies sent meanwhile leave in one write. */
  receive(chunk: Buffer): void {
    this.seen = true
    const socket = this.socket
    socket.cork()
    this.parser.push(chunk)
    socket.uncork()
  }

  private sendClose(frame: Buffer): void {
    this.flushBatch()
    this.flags |= CLOSE_QUEUED
    this.readyState = CLOSING
    this.closeTimer = setTimeout(onCloseTimeout, this.config.closeTimeout, this)
    this.closeTimer.unref()
    const queue = this.queue
    if (queue !== null) {
      queue.closeFrame = frame
      queue.push(frame, frame.length)
      return
    }
    this.socket.write(frame)
    this.closeWritten()
  }

  protected closeWritten(): void {
    this.flags |= CLOSE_WRITTEN
    // Both close frames are out (or this side failed): the server ends TCP first (RFC 6455 7.1.1);
    // a client waits for the server to (the close timer bounds the wait).
    if ((this.flags & (CLOSE_RECEIVED | FAILED)) !== 0) this.endTcp()
  }

  private endTcp(): void {
    if (this.isServer || (this.flags & FAILED) !== 0) this.socket.end()
  }

  /** @internal The socket is gone: report the close once and release everything. */
  finish(): void {
    if (this.readyState === CLOSED) return
    this.readyState = CLOSED
    if (this.closeTimer !== null) clearTimeout(this.closeTimer)
    this.closeTimer = null
    this.queue = null
    this.dropBatch()
    this.parser.stop()
    if (this.deflate !== null) this.deflate.close()
    // A close frame was exchanged, or this side failed the connection: report that code;
    // otherwise the connection dropped (1006).
    let code = this.closeCode
    let reason = this.closeReason
    if ((this.flags & (CLOSE_RECEIVED | FAILED)) === 0) {
      code = CloseCode.Abnormal
      reason = ''
    }
    if (this.config.pubsub !== null && this.topicSet !== null) this.config.pubsub.unsubscribeAll(this.erased)
    if (this.config.group !== null) this.config.group.remove(this.erased)
    const fn = this.config.handlers.close
    if (fn !== undefined) {
      try {
        fn(this, code, reason)
      } catch (e) {
        this.report(e)
      }
    }
  }

  /** Calls a handler; a throw or a rejection is reported and closes the connection with 1011. */
  protected call<A>(fn: (ws: WebSocket<Data>, arg: A) => void | Promise<void>, arg: A): void {
    try {
      const out = fn(this, arg)
      if (out instanceof Promise) out.then(undefined, (e: unknown) => this.handlerFailed(e))
    } catch (e) {
      this.handlerFailed(e)
    }
  }

  private handlerFailed(error: unknown): void {
    this.report(error)
    if (this.readyState === OPEN) this.close(CloseCode.InternalError, 'internal error')
  }

  private report(error: unknown): void {
    const fn = this.config.handlers.error
    if (fn === undefined) {
      console.error(error)
      return
    }
    try {
      fn(this, error instanceof Error ? error : new Error(String(error)))
    } catch (e) {
      console.error(e)
    }
  }
}
