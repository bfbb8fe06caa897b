// One WebSocket connection over a socket: the parser on the way in, an ordered send queue on
// the way out, the close handshake, and the bookkeeping the heartbeat sweep and pub/sub need.
// Role-aware ('server' | 'client'): the role decides masking (parser and writer) and who ends
// TCP first; the server upgrade (hub.ts) and the client both build on this class.
//
// Memory matters here (thousands of idle connections): the class holds a few scalar fields,
// the parser, and nothing lazily needed (send queue, topic set, zlib streams) until used.
// Socket events go to shared functions that find the connection through a symbol on the socket,
// and the parser calls this object's methods: no closure per connection.
import type { Socket } from 'node:net'
import { CloseCode, MAX_CLOSE_REASON } from './close-codes.ts'
import { WebSocketError } from './errors.ts'
import { FrameParser, type FrameHandler } from './frame-parser.ts'
import { encodeClose, encodeControl, encodeFrame } from './frame-writer.ts'
import { Opcode } from './opcodes.ts'
import type { PerMessageDeflate, DeflateOptions } from './permessage-deflate.ts'
import type { PubSub } from './pubsub.ts'
import { Pending, SendQueue } from './send-queue.ts'
import type { SendOptions, SendStatus, WebSocketData, WebSocketHandlers } from './types.ts'

export const CONNECTING = 0
export const OPEN = 1
export const CLOSING = 2
export const CLOSED = 3

/** @internal Settings shared by every connection of one route on one server (or one client). */
export interface ConnectionConfig<Data = unknown> {
  readonly handlers: WebSocketHandlers<Data>
  readonly maxPayload: number
  readonly maxBackpressure: number
  readonly closeTimeout: number
  readonly pubsub: PubSub | null
  readonly deflateOptions: Omit<DeflateOptions, 'limiter'>
  /** Told when a connection ends (the heartbeat group); null for none. */
  readonly group: { remove(ws: WebSocket<unknown>): void } | null
}

const kConnection = Symbol('weft.ws')
type Owned = Socket & { [kConnection]: WebSocket<unknown> }

// Flags (one number instead of several boolean fields).
const CLOSE_RECEIVED = 1
const CLOSE_WRITTEN = 2
/** This side failed the connection (protocol error): end TCP once our close frame is out. */
const FAILED = 4
/** A close frame is queued or written: nothing more may be sent. */
const CLOSE_QUEUED = 8

const SERVER_PING = encodeControl(Opcode.Ping, '', false)

export class WebSocket<Data = unknown> implements FrameHandler {
  /** 0 connecting, 1 open, 2 closing, 3 closed (as the web WebSocket). */
  readyState: number = OPEN
  /** Per-connection user data: what the route's `upgrade` hook returned. */
  data: Data
  /** The subprotocol agreed in the handshake ('' for none). */
  readonly protocol: string
  /** The Sec-WebSocket-Extensions value agreed in the handshake ('' for none). */
  readonly extensions: string
  /** @internal */ readonly socket: Socket
  /** @internal */ readonly isServer: boolean
  /** @internal */ readonly deflate: PerMessageDeflate | null
  /** @internal */ readonly config: ConnectionConfig<Data>
  /** @internal Topics this connection is subscribed to (created on the first subscribe). */
  topicSet: Set<string> | null = null
  // Heartbeat sweep state (see heartbeat.ts).
  /** @internal Something arrived since the last sweep. */ seen = true
  /** @internal A ping is unanswered. */ pinged = false
  /** @internal Sweeps without anything received. */ idleTicks = 0
  private readonly parser: FrameParser
  private queue: SendQueue | null = null
  /** Broadcast frames of the current tick, written together at its end (see pubsub.ts). */
  private batch: Buffer | Buffer[] | null = null
  private batchBytes = 0
  private needDrain = false
  private flags = 0
  private closeCode: number = CloseCode.Abnormal
  private closeReason = ''
  private closeTimer: NodeJS.Timeout | null = null

  /** @internal Created by the server upgrade or the client; call `start()` next. */
  constructor(socket: Socket, role: 'server' | 'client', config: ConnectionConfig<Data>, deflate: PerMessageDeflate | null, data: Data, protocol: string, extensions: string) {
    this.socket = socket
    this.isServer = role === 'server'
    this.config = config
    this.deflate = deflate
    this.data = data
    this.protocol = protocol
    this.extensions = extensions
    this.parser = new FrameParser(this, { role, maxPayload: config.maxPayload, inflater: deflate })
  }

  /** @internal Attaches the socket, calls `open`, then parses `head` (bytes that came with the handshake). */
  start(head: Buffer | null): void {
    const socket = this.socket as Owned
    socket[kConnection] = this.erased
    socket.setTimeout(0)
    socket.on('data', onSocketData)
    socket.on('drain', onSocketDrain)
    socket.on('end', onSocketEnd)
    socket.on('close', onSocketClose)
    socket.on('error', onSocketError)
    const open = this.config.handlers.open
    if (open !== undefined) this.call(open, undefined)
    if (head !== null && head.length > 0 && this.readyState === OPEN) this.receive(head)
  }

  /** This connection with its user data type erased, for the shared registries. */
  private get erased(): WebSocket<unknown> {
    return this as unknown as WebSocket<unknown>
  }

  /** Bytes accepted by `send` and not yet handed to the kernel (socket buffer and send queue). */
  get bufferedAmount(): number {
    return this.socket.writableLength + (this.queue === null ? 0 : this.queue.bytes) + this.batchBytes
  }

  /** The peer's address. */
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? ''
  }

  /** Topics this connection is subscribed to. */
  get topics(): string[] {
    return this.topicSet === null ? [] : [...this.topicSet]
  }

  /**
   * Sends a message: a string as text, bytes as binary (`binary` overrides), compressed when
   * permessage-deflate was negotiated and the message reaches the threshold. Messages go out in
   * the order of the calls, compressed or not. See SendStatus for the result.
   */
  send(data: WebSocketData, options?: SendOptions): SendStatus {
    if (this.readyState !== OPEN || (this.flags & CLOSE_QUEUED) !== 0) return 'dropped'
    let payload: string | Uint8Array
    let binary: boolean
    if (typeof data === 'string') {
      payload = data
      binary = options?.binary === true
    } else {
      payload = data instanceof ArrayBuffer ? new Uint8Array(data) : data
      binary = options?.binary !== false
    }
    const opcode = binary ? Opcode.Binary : Opcode.Text
    const deflate = this.deflate
    if (deflate !== null && options?.compress !== false && deflate.canCompress) {
      const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length
      if (options?.compress === true || length >= deflate.threshold) return this.sendCompressed(opcode, payload, length)
    }
    return this.sendFrame(encodeFrame(opcode, payload, !this.isServer))
  }

  /** @internal Sends an encoded frame (a broadcast writes the same Buffer to every subscriber). */
  sendFrame(frame: Buffer): SendStatus {
    if (this.readyState !== OPEN || (this.flags & CLOSE_QUEUED) !== 0) return 'dropped'
    if (this.batch !== null) this.flushBatch()
    return this.writeFrame(frame)
  }

  private writeFrame(frame: Buffer): SendStatus {
    const queue = this.queue
    const buffered = this.socket.writableLength + (queue === null ? 0 : queue.bytes)
    if (buffered > 0 && buffered + frame.length > this.config.maxBackpressure) return this.overflow()
    if (queue === null) {
      if (this.socket.write(frame)) return 'sent'
      this.needDrain = true
      return 'queued'
    }
    queue.push(frame, frame.length)
    return this.statusAfterQueueing()
  }

  /**
   * @internal A broadcast frame, held until the end of the tick (returns true if this
   * connection had nothing held, so the caller schedules the flush): several broadcasts in one
   * tick then cost one write per subscriber instead of one each.
   */
  holdBroadcast(frame: Buffer): SendStatus {
    if (this.readyState !== OPEN || (this.flags & CLOSE_QUEUED) !== 0) return 'dropped'
    const buffered = this.bufferedAmount
    if (buffered > 0 && buffered + frame.length > this.config.maxBackpressure) return this.overflow()
    const batch = this.batch
    if (batch === null) this.batch = frame
    else if (Array.isArray(batch)) batch.push(frame)
    else this.batch = [batch, frame]
    this.batchBytes += frame.length
    if (buffered + frame.length <= this.socket.writableHighWaterMark) return 'sent'
    this.needDrain = true
    return 'queued'
  }

  /** @internal True while broadcast frames are held for the end of the tick. */
  get holding(): boolean {
    return this.batch !== null
  }

  /** @internal Writes the held broadcast frames: the same Buffer each subscriber got, or one concatenation. */
  flushBatch(): void {
    const batch = this.batch
    if (batch === null) return
    this.batch = null
    this.batchBytes = 0
    if (this.readyState !== OPEN) return
    this.writeFrame(Array.isArray(batch) ? Buffer.concat(batch) : batch)
  }

  /** @internal Queues a slot that a shared compression fills later (pub/sub). */
  sendPending(pending: Pending): SendStatus {
    if (this.readyState !== OPEN || (this.flags & CLOSE_QUEUED) !== 0) return 'dropped'
    if (this.batch !== null) this.flushBatch()
    const buffered = this.bufferedAmount
    if (buffered > 0 && buffered + pending.size > this.config.maxBackpressure) return this.overflow()
    ;(this.queue ??= new SendQueue()).push(pending, pending.size)
    return this.statusAfterQueueing()
  }

  private sendCompressed(opcode: number, payload: string | Uint8Array, length: number): SendStatus {
    if (this.batch !== null) this.flushBatch()
    const buffered = this.bufferedAmount
    if (buffered > 0 && buffered + length > this.config.maxBackpressure) return this.overflow()
    const pending = new Pending(length)
    ;(this.queue ??= new SendQueue()).push(pending, length)
    const input = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length)
    // One closure per compressed message: small next to the zlib work it waits for.
    this.deflate!.compress(input, true, (error, out) => {
      if (this.readyState === CLOSED) return
      // A failed compression is sent uncompressed instead (always allowed by RFC 7692).
      pending.frame = error === null ? encodeFrame(opcode, out!, !this.isServer, true, true) : encodeFrame(opcode, payload, !this.isServer)
      this.flush()
    })
    return this.statusAfterQueueing()
  }

  private statusAfterQueueing(): SendStatus {
    if (this.bufferedAmount <= this.socket.writableHighWaterMark) return 'sent'
    this.needDrain = true
    return 'queued'
  }

  /** Too far behind: drop the message and close with 1008 (behind what is already queued). */
  private overflow(): SendStatus {
    this.close(CloseCode.PolicyViolation, 'send buffer limit exceeded')
    return 'dropped'
  }

  /** @internal Writes the frames at the head of the queue that are ready, in order. */
  flush(): void {
    const queue = this.queue
    if (queue === null || this.readyState === CLOSED) return
    let ok = true
    for (;;) {
      const frame = queue.takeReady()
      if (frame === null) break
      ok = this.socket.write(frame)
      if (frame === queue.closeFrame) this.closeWritten()
    }
    if (queue.length > 0) return
    this.queue = null
    if (ok && this.needDrain) this.drained()
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
    if (this.batch !== null) this.flushBatch()
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

  private closeWritten(): void {
    this.flags |= CLOSE_WRITTEN
    // Both close frames are out (or this side failed): the server ends TCP first (RFC 6455 7.1.1);
    // a client waits for the server to (the close timer bounds the wait).
    if ((this.flags & (CLOSE_RECEIVED | FAILED)) !== 0) this.endTcp()
  }

  private endTcp(): void {
    if (this.isServer || (this.flags & FAILED) !== 0) this.socket.end()
  }

  /** @internal */
  onDrain(): void {
    if (this.queue === null && this.needDrain) this.drained()
  }

  private drained(): void {
    this.needDrain = false
    if (this.readyState !== OPEN) return
    const fn = this.config.handlers.drain
    if (fn !== undefined) this.call(fn, undefined)
  }

  /** @internal The socket is gone: report the close once and release everything. */
  finish(): void {
    if (this.readyState === CLOSED) return
    this.readyState = CLOSED
    if (this.closeTimer !== null) clearTimeout(this.closeTimer)
    this.closeTimer = null
    this.queue = null
    this.batch = null
    this.batchBytes = 0
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
  private call<A>(fn: (ws: WebSocket<Data>, arg: A) => void | Promise<void>, arg: A): void {
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

function onSocketData(this: Owned, chunk: Buffer): void {
  this[kConnection].receive(chunk)
}

function onSocketDrain(this: Owned): void {
  this[kConnection].onDrain()
}

function onSocketEnd(this: Owned): void {
  const ws = this[kConnection]
  // node:http sockets allow half-open connections: a peer that ended its side gets our end too
  // (after our close frame, if one is on its way), or at once when it left without closing.
  if (ws.readyState === OPEN) this.destroy()
  else this.end()
}

function onSocketClose(this: Owned): void {
  this[kConnection].finish()
}

function onSocketError(this: Owned): void {
  // ECONNRESET and the like: 'close' follows and reports 1006. Nothing to do but not crash.
}

function onCloseTimeout(ws: WebSocket<unknown>): void {
  // The peer did not finish the close handshake in time.
  ws.socket.destroy()
}
