// The sending half of a WebSocket connection: the ordered send queue, backpressure, the
// broadcast batch of pub/sub, compression of outgoing messages and `drain`. Split from
// connection.ts (which adds the parser callbacks, the close handshake and the socket's end);
// a base class rather than a helper object so that a connection stays one object: thousands of
// idle connections must not pay for a second one each.
import type { Socket } from 'node:net'
import { CloseCode } from './close-codes.ts'
import { encodeFrame } from './frame-writer.ts'
import { messageOpcode, messagePayload } from './message-kind.ts'
import type { DeflateOptions, PerMessageDeflate } from './permessage-deflate.ts'
import type { PubSub } from './pubsub.ts'
import { Pending, SendQueue } from './send-queue.ts'
import type { SendOptions, SendStatus, WebSocketData, WebSocketHandlers } from './types.ts'
import type { WebSocket } from './connection.ts'

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

// Flags (one number instead of several boolean fields), shared with connection.ts.
export const CLOSE_RECEIVED = 1
export const CLOSE_WRITTEN = 2
/** This side failed the connection (protocol error): end TCP once our close frame is out. */
export const FAILED = 4
/** A close frame is queued or written: nothing more may be sent. */
export const CLOSE_QUEUED = 8

export abstract class ConnectionSender<Data> {
  /** 0 connecting, 1 open, 2 closing, 3 closed (as the web WebSocket). */
  readyState: number = OPEN
  /** @internal */ readonly socket: Socket
  /** @internal */ readonly isServer: boolean
  /** @internal */ readonly deflate: PerMessageDeflate | null
  /** @internal */ readonly config: ConnectionConfig<Data>
  /** @internal */ protected flags = 0
  /** @internal */ protected queue: SendQueue | null = null
  /** Broadcast frames of the current tick, written together at its end (see pubsub.ts). */
  private batch: Buffer | Buffer[] | null = null
  private batchBytes = 0
  private needDrain = false

  constructor(socket: Socket, isServer: boolean, config: ConnectionConfig<Data>, deflate: PerMessageDeflate | null) {
    this.socket = socket
    this.isServer = isServer
    this.config = config
    this.deflate = deflate
  }

  /** Starts the close handshake (connection.ts). */
  abstract close(code?: number, reason?: string): void
  /** @internal Our close frame left the queue (connection.ts decides whether TCP ends). */
  protected abstract closeWritten(): void
  /** @internal Calls a handler, reporting a throw (connection.ts). */
  protected abstract call<A>(fn: (ws: WebSocket<Data>, arg: A) => void | Promise<void>, arg: A): void

  /** Bytes accepted by `send` and not yet handed to the kernel (socket buffer and send queue). */
  get bufferedAmount(): number {
    return this.socket.writableLength + (this.queue === null ? 0 : this.queue.bytes) + this.batchBytes
  }

  /**
   * Sends a message: a string as text, bytes as binary (`binary` overrides), compressed when
   * permessage-deflate was negotiated and the message reaches the threshold. Messages go out in
   * the order of the calls, compressed or not. See SendStatus for the result.
   */
  send(data: WebSocketData, options?: SendOptions): SendStatus {
    if (this.readyState !== OPEN || (this.flags & CLOSE_QUEUED) !== 0) return 'dropped'
    const payload = messagePayload(data)
    const opcode = messageOpcode(data, options)
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

  /** @internal Forgets held broadcasts (the connection is gone). */
  protected dropBatch(): void {
    this.batch = null
    this.batchBytes = 0
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

  /** @internal The socket's 'drain'. */
  onDrain(): void {
    if (this.queue === null && this.needDrain) this.drained()
  }

  private drained(): void {
    this.needDrain = false
    if (this.readyState !== OPEN) return
    const fn = this.config.handlers.drain
    if (fn !== undefined) this.call(fn, undefined)
  }
}
