// permessage-deflate (RFC 7692) compression and decompression for one connection, on zlib's
// raw deflate streams. Negotiation lives in deflate-negotiation.ts.
//
// Memory per connection (zlib's formulas from zconf.h, plus about 6 KiB of zlib state and
// Node's 16 KiB output buffer per stream):
//   deflate: 2^(windowBits + 2) + 2^(memLevel + 9) bytes: 256 KiB at windowBits 15 / memLevel 8
//            (the defaults), 64 KiB at 13/7, 3 KiB at 9/1;
//   inflate: 2^windowBits bytes plus about 7 KiB: 39 KiB at 15, 15 KiB at 13.
// windowBits come from negotiation (DeflateConfig.serverMaxWindowBits / clientMaxWindowBits),
// memLevel from DeflateOptions.
// Streams are created on the first message that needs them, so an idle connection that never
// sent or received a compressed message costs nothing here. With context takeover a stream
// (and its memory) lives as long as the connection, because the peer's next message may refer
// to bytes of the previous ones; without it the stream is reset, not freed, after each message.
import * as zlib from 'node:zlib'
import type { DeflateParams } from './deflate-negotiation.ts'
import { CloseCode } from './close-codes.ts'
import { WebSocketError } from './errors.ts'
import { type ZlibLimiter, zlibLimiter } from './zlib-limiter.ts'

/** Messages smaller than this many bytes are sent uncompressed by default. */
export const DEFAULT_THRESHOLD = 1024

/** The 4 bytes a Z_SYNC_FLUSH ends with; removed by the sender, put back by the receiver (RFC 7692 7.2.1). */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff])
const EMPTY = Buffer.alloc(0)

export interface DeflateOptions {
  /** Messages below this many bytes are not worth compressing (default 1024). */
  threshold?: number
  /** zlib compression level 0..9 (default zlib's 6). */
  level?: number
  /** zlib memLevel 1..9 for the compressor (default 8); see the memory figures above. */
  memLevel?: number
  /** The limiter of concurrent zlib jobs (default: the process-wide one). */
  limiter?: ZlibLimiter
}

export type ZlibCallback = (error: WebSocketError | null, data: Buffer | null) => void

interface Job {
  data: Buffer | string
  fin: boolean
  limit: number
  callback: ZlibCallback
}

type Stream = zlib.DeflateRaw | zlib.InflateRaw

/** One direction: a lazily created zlib stream and its queue (one job at a time, in order). */
class Channel {
  private stream: Stream | null = null
  private readonly queue: Job[] = []
  private job: Job | null = null
  private chunks: Buffer[] = []
  private total = 0
  private failure: WebSocketError | null = null
  /** Bytes the stream produced for the current job (kept after a failure, for tests). */
  produced = 0

  constructor(
    private readonly inflate: boolean,
    private readonly windowBits: number,
    private readonly noContextTakeover: boolean,
    private readonly level: number,
    private readonly memLevel: number,
    private readonly limiter: ZlibLimiter,
  ) {
    this.start = this.start.bind(this)
  }

  get busy(): boolean {
    return this.job !== null || this.queue.length > 0
  }

  submit(job: Job): void {
    if (this.failure !== null) {
      const failure = this.failure
      queueMicrotask(() => job.callback(failure, null))
      return
    }
    this.queue.push(job)
    if (this.job === null && this.queue.length === 1) this.limiter.acquire(this.start)
  }

  /** Frees the stream and fails what is queued (the connection is gone). */
  close(reason: WebSocketError): void {
    if (this.failure === null) this.failure = reason
    this.dropStream()
    const job = this.job
    this.job = null
    if (job !== null) {
      this.limiter.release()
      job.callback(reason, null)
    }
    this.failQueued()
  }

  private start(): void {
    const job = this.queue.shift()
    if (job === undefined || this.failure !== null) {
      this.limiter.release()
      if (job !== undefined) job.callback(this.failure, null)
      return
    }
    this.job = job
    this.chunks = []
    this.total = 0
    this.produced = 0
    const stream = this.stream ?? this.createStream()
    stream.write(job.data)
    if (this.inflate && job.fin) stream.write(TRAILER)
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => this.flushed(stream, job))
  }

  private createStream(): Stream {
    const stream = this.inflate
      ? zlib.createInflateRaw({ windowBits: this.windowBits })
      : zlib.createDeflateRaw({ windowBits: this.windowBits, level: this.level, memLevel: this.memLevel })
    // One closure per stream (not per message) ties events to the stream they came from.
    stream.on('data', (chunk: Buffer) => this.onData(stream, chunk))
    stream.on('error', (err: Error) => this.onError(stream, err))
    this.stream = stream
    return stream
  }

  private onData(stream: Stream, chunk: Buffer): void {
    if (stream !== this.stream || this.job === null) return
    this.total += chunk.length
    this.produced = this.total
    if (this.inflate && this.total > this.job.limit) {
      // A bomb stops here: destroying the stream makes zlib stop after the current output
      // chunk (16 KiB) instead of inflating the rest of the input.
      return this.fail(new WebSocketError(CloseCode.MessageTooBig, `message larger than the limit of ${this.job.limit} bytes once inflated`))
    }
    this.chunks.push(chunk)
  }

  private onError(stream: Stream, err: Error): void {
    if (stream !== this.stream) return
    this.fail(
      this.inflate
        ? new WebSocketError(CloseCode.InvalidPayload, `invalid compressed data: ${err.message}`)
        : new WebSocketError(CloseCode.InternalError, `compression failed: ${err.message}`),
    )
  }

  private flushed(stream: Stream, job: Job): void {
    if (stream !== this.stream || job !== this.job) return // failed meanwhile
    let data = this.chunks.length === 1 ? this.chunks[0]! : this.chunks.length === 0 ? EMPTY : Buffer.concat(this.chunks, this.total)
    // The sender leaves out the trailer of the last fragment; Z_SYNC_FLUSH always ends with it.
    if (!this.inflate && job.fin && data.length >= 4) data = data.subarray(0, data.length - 4)
    if (stream.readableEnded) {
      // The peer ended its deflate stream (BFINAL): the next message needs a fresh one.
      this.dropStream()
    } else if (job.fin && this.noContextTakeover) {
      stream.reset()
    }
    this.finish(null, data)
  }

  private fail(error: WebSocketError): void {
    this.failure = error
    this.dropStream()
    this.finish(error, null)
    this.failQueued()
  }

  private finish(error: WebSocketError | null, data: Buffer | null): void {
    const job = this.job!
    this.job = null
    this.chunks = []
    this.limiter.release()
    job.callback(error, data)
    if (this.job === null && this.queue.length > 0) this.limiter.acquire(this.start)
  }

  private failQueued(): void {
    const failure = this.failure!
    for (const job of this.queue.splice(0)) job.callback(failure, null)
  }

  private dropStream(): void {
    const stream = this.stream
    this.stream = null
    // close() ends zlib's work loop after the chunk in progress; the 'error' listener stays on
    // so that a late error of a dropped stream is never unhandled.
    if (stream !== null) stream.close()
  }
}

/**
 * permessage-deflate for one connection, after negotiation: `compress` what this endpoint
 * sends, `decompress` what it receives (the latter fits `FrameParser`'s `Inflater`).
 * Jobs of one direction run one at a time, in the order given.
 */
export class PerMessageDeflate {
  readonly params: DeflateParams
  readonly threshold: number
  /**
   * False when the window this endpoint must compress with is 8 bits: zlib silently uses 9
   * for raw deflate, which a peer with a 256-byte window could not inflate, so every message
   * is sent uncompressed instead (always allowed by RFC 7692).
   */
  readonly canCompress: boolean
  private readonly deflater: Channel
  private readonly inflater: Channel

  constructor(role: 'server' | 'client', params: DeflateParams, options: DeflateOptions = {}) {
    this.params = params
    this.threshold = options.threshold ?? DEFAULT_THRESHOLD
    const limiter = options.limiter ?? zlibLimiter
    const level = options.level ?? zlib.constants.Z_DEFAULT_COMPRESSION
    const memLevel = options.memLevel ?? 8
    const server = role === 'server'
    const sendBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits
    const receiveBits = server ? params.clientMaxWindowBits : params.serverMaxWindowBits
    const sendReset = server ? params.serverNoContextTakeover : params.clientNoContextTakeover
    const receiveReset = server ? params.clientNoContextTakeover : params.serverNoContextTakeover
    this.canCompress = sendBits > 8
    this.deflater = new Channel(false, sendBits, sendReset, level, memLevel, limiter)
    this.inflater = new Channel(true, receiveBits, receiveReset, level, memLevel, limiter)
  }

  /** Whether a message of this many bytes should go compressed. */
  shouldCompress(byteLength: number): boolean {
    return this.canCompress && byteLength >= this.threshold
  }

  /** True while a job of either direction is running or queued. */
  get busy(): boolean {
    return this.deflater.busy || this.inflater.busy
  }

  /** Bytes inflated for the last (or current) decompress job, including a failed one. */
  get lastInflatedSize(): number {
    return this.inflater.produced
  }

  /**
   * Compresses one fragment of a message (`fin`: the last one), calling back with the payload
   * to send with RSV1 on the first frame.
   */
  compress(data: Buffer | string, fin: boolean, callback: ZlibCallback): void {
    this.deflater.submit({ data, fin, limit: Infinity, callback })
  }

  /** Inflates one received frame's payload; fails with 1009 once the output passes `limit`. */
  decompress(data: Buffer, fin: boolean, limit: number, callback: ZlibCallback): void {
    this.inflater.submit({ data, fin, limit, callback })
  }

  /** Frees zlib memory; pending and later jobs fail with 1006. */
  close(): void {
    const reason = new WebSocketError(CloseCode.Abnormal, 'the connection closed')
    this.deflater.close(reason)
    this.inflater.close(reason)
  }
}

/**
 * Compresses a whole message with a fresh context, for a broadcast: the result can go to
 * every connection whose peer accepts windows of `windowBits` and whose own compressor resets
 * per message (server_no_context_takeover) — interleaving it into a connection that keeps
 * context would break that connection's deflate stream.
 */
export function deflateMessage(data: Buffer | string, windowBits: number, options: DeflateOptions, callback: ZlibCallback): void {
  const limiter = options.limiter ?? zlibLimiter
  limiter.acquire(() => {
    zlib.deflateRaw(
      data,
      { windowBits, level: options.level ?? zlib.constants.Z_DEFAULT_COMPRESSION, memLevel: options.memLevel ?? 8, finishFlush: zlib.constants.Z_SYNC_FLUSH },
      (err, out) => {
        limiter.release()
        if (err !== null) callback(new WebSocketError(CloseCode.InternalError, `compression failed: ${err.message}`), null)
        else callback(null, out.length >= 4 ? out.subarray(0, out.length - 4) : out)
      },
    )
  })
}
