// The receiving half of RFC 6455: an incremental, byte-level state machine that turns the
// bytes of a connection, split anywhere, into messages and control frames. Socket-free: the
// connection feeds it chunks and gets callbacks on a handler object.
import { CloseCode, isValidCloseCode } from './close-codes.ts'
import type { WebSocketError } from './errors.ts'
import { ByteQueue } from './byte-queue.ts'
import { applyMask } from './mask.ts'
import { Opcode } from './opcodes.ts'
import { Utf8Validator, isValidUtf8 } from './utf8.ts'

/** 1 MiB: the default limit on a message's size (after decompression), like the body limit. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024

/** What the parser reports. Calls are synchronous, in wire order, from inside `push` (or later for compressed messages). */
export interface FrameHandler {
  /** A complete message. Text messages are already checked to be valid UTF-8. */
  onMessage(data: Buffer, binary: boolean): void
  onPing(data: Buffer): void
  onPong(data: Buffer): void
  /** A close frame: 1005 (NoStatus) when it carried no code. The parser stops after it. */
  onClose(code: number, reason: string): void
  /** A protocol failure: close the connection with `code`. The parser stops after it. */
  onError(code: number, message: string): void
}

/** Decompression of permessage-deflate payloads, one frame at a time, in order. */
export interface Inflater {
  /**
   * Inflates one frame's payload (`fin`: the last of its message); fails with 1009 as soon as
   * the output exceeds `limit` bytes, without inflating the rest.
   */
  decompress(data: Buffer, fin: boolean, limit: number, callback: (error: WebSocketError | null, data: Buffer | null) => void): void
}

export interface FrameParserOptions {
  /** 'server' requires masked frames, 'client' requires unmasked ones (RFC 6455 5.1). */
  role: 'server' | 'client'
  /** Largest message in bytes, after decompression (default 1 MiB; Infinity for none). */
  maxPayload?: number
  /** Set when permessage-deflate was negotiated: allows RSV1 and inflates those messages. */
  inflater?: Inflater | null
}

// Parser states: what the next bytes are.
const HEADER = 0
const LENGTH_16 = 1
const LENGTH_64 = 2
const MASK_KEY = 3
const PAYLOAD = 4
/** Waiting for zlib; bytes that arrive meanwhile are buffered. */
const INFLATING = 5
/** After a close frame or a failure: input is ignored. */
const STOPPED = 6

const EMPTY = Buffer.alloc(0)
const TWO_POW_32 = 2 ** 32

/**
 * Fragments smaller than this are copied together into blocks of BLOCK_SIZE bytes instead of
 * being kept one Buffer each: a peer sending a message as thousands of 1-byte fragments would
 * otherwise cost a Buffer object (and maybe a retained socket chunk) per byte.
 */
const SMALL_FRAGMENT = 1024
const BLOCK_SIZE = 16 * 1024

/**
 * The largest compressed frame that can inflate to at most `n` bytes when produced by a real
 * deflate encoder: stored blocks cost 5 bytes per 16 KiB at worst, plus a few bytes of flush.
 * Lets a compressed frame be refused from its header, like an uncompressed one.
 */
function compressedBound(n: number): number {
  return n + Math.ceil(n / 4096) + 64
}

/**
 * Feed it bytes with `push(chunk)`. Chunks are taken over: masked payloads are unmasked in
 * place, and messages may be views into them (no copy when a frame lies within one chunk).
 */
export class FrameParser {
  private readonly handler: FrameHandler
  private readonly isServer: boolean
  private readonly maxPayload: number
  private readonly inflater: Inflater | null

  private state = HEADER
  private readonly input = new ByteQueue()

  // The current frame.
  private fin = false
  private opcode = 0
  private compressed = false
  private masked = false
  private payloadLength = 0
  private readonly maskKey = new Uint8Array(4)

  // The current data message (opcode 0 when none is in progress).
  private messageOpcode = 0
  private messageCompressed = false
  private messageLength = 0
  private fragments: Buffer[] = []
  private block: Buffer | null = null
  private blockStart = 0
  private blockUsed = 0
  private readonly utf8 = new Utf8Validator()

  constructor(handler: FrameHandler, options: FrameParserOptions) {
    this.handler = handler
    this.isServer = options.role === 'server'
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD
    this.inflater = options.inflater ?? null
    // Bound once: a compressed frame then costs no closure.
    this.onInflated = this.onInflated.bind(this)
  }

  /** True while waiting for zlib (input is buffered, not lost). */
  get inflating(): boolean {
    return this.state === INFLATING
  }

  /** True after a close frame or a failure. */
  get stopped(): boolean {
    return this.state === STOPPED
  }

  /** Bytes received but not parsed yet. */
  get bufferedAmount(): number {
    return this.input.length
  }

  push(chunk: Buffer): void {
    if (this.state === STOPPED || chunk.length === 0) return
    this.input.push(chunk)
    if (this.state !== INFLATING) this.run()
  }

  /** Stops parsing and drops buffered bytes (the connection is gone). */
  stop(): void {
    this.state = STOPPED
    this.release()
  }

  private run(): void {
    for (;;) {
      switch (this.state) {
        case HEADER:
          if (this.input.length < 2) return
          this.readHeader()
          break
        case LENGTH_16:
          if (this.input.length < 2) return
          this.payloadLength = (this.input.readByte() << 8) | this.input.readByte()
          this.checkLength()
          break
        case LENGTH_64: {
          if (this.input.length < 8) return
          const high = this.input.readUint32()
          const low = this.input.readUint32()
          if (high > 0x7fffffff) return this.fail(CloseCode.ProtocolError, 'the most significant bit of a 64-bit payload length must be 0')
          if (high > 0x1fffff) return this.fail(CloseCode.MessageTooBig, 'payload length above 2^53 - 1')
          this.payloadLength = high * TWO_POW_32 + low
          this.checkLength()
          break
        }
        case MASK_KEY:
          if (this.input.length < 4) return
          for (let i = 0; i < 4; i++) this.maskKey[i] = this.input.readByte()
          this.state = PAYLOAD
          break
        case PAYLOAD: {
          if (this.input.length < this.payloadLength) return
          const data = this.payloadLength === 0 ? EMPTY : this.input.take(this.payloadLength)
          if (this.masked) applyMask(data, 0, data.length, this.maskKey, 0)
          this.state = HEADER
          if (this.opcode >= 8) this.controlFrame(data)
          else if (this.messageCompressed) this.inflate(data)
          else this.dataFrame(data)
          break
        }
        default:
          return // INFLATING or STOPPED
      }
    }
  }

  private readHeader(): void {
    const b0 = this.input.readByte()
    const b1 = this.input.readByte()
    const opcode = b0 & 0x0f
    this.fin = (b0 & 0x80) !== 0
    this.compressed = (b0 & 0x40) !== 0
    this.masked = (b1 & 0x80) !== 0
    this.opcode = opcode
    const length = b1 & 0x7f

    // RSV2 and RSV3 belong to no extension weft negotiates.
    if ((b0 & 0x30) !== 0) return this.fail(CloseCode.ProtocolError, 'RSV2 and RSV3 must be clear')
    if (opcode >= 8) {
      if (opcode > Opcode.Pong) return this.fail(CloseCode.ProtocolError, `reserved opcode ${opcode}`)
      if (!this.fin) return this.fail(CloseCode.ProtocolError, 'control frames must not be fragmented')
      if (this.compressed) return this.fail(CloseCode.ProtocolError, 'RSV1 must be clear on control frames')
      if (length > 125) return this.fail(CloseCode.ProtocolError, 'control frame payload above 125 bytes')
    } else if (opcode === Opcode.Continuation) {
      if (this.messageOpcode === 0) return this.fail(CloseCode.ProtocolError, 'continuation frame without a message to continue')
      // permessage-deflate sets RSV1 on the first frame of a message only (RFC 7692 6.1).
      if (this.compressed) return this.fail(CloseCode.ProtocolError, 'RSV1 must be clear on continuation frames')
    } else if (opcode === Opcode.Text || opcode === Opcode.Binary) {
      if (this.messageOpcode !== 0) return this.fail(CloseCode.ProtocolError, 'new data frame inside a fragmented message')
      if (this.compressed && this.inflater === null) return this.fail(CloseCode.ProtocolError, 'RSV1 must be clear without permessage-deflate')
      this.messageOpcode = opcode
      this.messageCompressed = this.compressed
    } else {
      return this.fail(CloseCode.ProtocolError, `reserved opcode ${opcode}`)
    }
    if (this.masked !== this.isServer) {
      return this.fail(CloseCode.ProtocolError, this.isServer ? 'client frames must be masked' : 'server frames must not be masked')
    }

    if (length === 126) this.state = LENGTH_16
    else if (length === 127) this.state = LENGTH_64
    else {
      this.payloadLength = length
      this.checkLength()
    }
    // Non-minimal length encodings are accepted, as other implementations do.
  }

  /** Decides 1009 from the header, before a byte of the payload is buffered. */
  private checkLength(): void {
    if (this.opcode < 8) {
      const remaining = this.maxPayload - this.messageLength
      // Inflated sizes are checked by the inflater; here only what a sane encoder could send.
      const allowed = this.messageCompressed ? compressedBound(remaining) : remaining
      if (this.payloadLength > allowed) return this.fail(CloseCode.MessageTooBig, `message larger than ${this.maxPayload} bytes`)
    }
    this.state = this.masked ? MASK_KEY : PAYLOAD
  }

  private controlFrame(data: Buffer): void {
    if (this.opcode === Opcode.Ping) return this.handler.onPing(data)
    if (this.opcode === Opcode.Pong) return this.handler.onPong(data)
    // Close
    let code: number = CloseCode.NoStatus
    let reason = ''
    if (data.length === 1) return this.fail(CloseCode.ProtocolError, 'close frame with a 1-byte payload')
    if (data.length >= 2) {
      code = (data[0]! << 8) | data[1]!
      if (!isValidCloseCode(code)) return this.fail(CloseCode.ProtocolError, `invalid close code ${code}`)
      const bytes = data.subarray(2)
      if (!isValidUtf8(bytes)) return this.fail(CloseCode.InvalidPayload, 'close reason is not valid UTF-8')
      reason = bytes.toString('utf8')
    }
    this.stop()
    this.handler.onClose(code, reason)
  }

  private dataFrame(data: Buffer): void {
    const text = this.messageOpcode === Opcode.Text
    this.messageLength += data.length
    if (this.fin && this.messageLength === data.length) {
      // The whole message in one frame (the common case, or after empty fragments): one
      // native UTF-8 check, no copy.
      if (text && !isValidUtf8(data)) return this.fail(CloseCode.InvalidPayload, 'text message is not valid UTF-8')
      return this.deliver(data)
    }
    if (text && !this.utf8.write(data, 0, data.length)) return this.fail(CloseCode.InvalidPayload, 'text message is not valid UTF-8')
    this.addFragment(data)
    if (this.fin) this.finishFragmented(text)
  }

  private inflate(data: Buffer): void {
    this.state = INFLATING
    this.inflater!.decompress(data, this.fin, this.maxPayload - this.messageLength, this.onInflated)
  }

  private onInflated(error: WebSocketError | null, data: Buffer | null): void {
    if (this.state !== INFLATING) return // stopped meanwhile
    if (error !== null) return this.fail(error.closeCode, error.message)
    const out = data!
    this.messageLength += out.length
    // The inflater enforces the limit; this keeps the parser honest with any inflater.
    if (this.messageLength > this.maxPayload) return this.fail(CloseCode.MessageTooBig, `message larger than ${this.maxPayload} bytes`)
    const text = this.messageOpcode === Opcode.Text
    if (text && !this.utf8.write(out, 0, out.length)) return this.fail(CloseCode.InvalidPayload, 'text message is not valid UTF-8')
    this.addFragment(out)
    this.state = HEADER
    if (this.fin) this.finishFragmented(text)
    if (this.state === HEADER) this.run()
  }

  private addFragment(data: Buffer): void {
    if (data.length === 0) return
    if (data.length >= SMALL_FRAGMENT) {
      this.flushBlock()
      this.fragments.push(data)
      return
    }
    if (this.block === null || this.block.length - this.blockUsed < data.length) {
      this.flushBlock()
      this.block = Buffer.allocUnsafe(BLOCK_SIZE)
      this.blockStart = 0
      this.blockUsed = 0
    }
    data.copy(this.block, this.blockUsed)
    this.blockUsed += data.length
  }

  /** Moves the bytes gathered in the current block into the fragment list. */
  private flushBlock(): void {
    if (this.block !== null && this.blockUsed > this.blockStart) {
      this.fragments.push(this.block.subarray(this.blockStart, this.blockUsed))
      this.blockStart = this.blockUsed
    }
  }

  private finishFragmented(text: boolean): void {
    if (text && !this.utf8.end()) return this.fail(CloseCode.InvalidPayload, 'text message ends inside a UTF-8 sequence')
    this.flushBlock()
    // The message may be a view into the block: start a new one for the next message.
    this.block = null
    const parts = this.fragments
    const data = parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.messageLength)
    parts.length = 0
    this.deliver(data)
  }

  /** Resets the message state before calling out, so a handler may do anything. */
  private deliver(data: Buffer): void {
    const binary = this.messageOpcode === Opcode.Binary
    this.messageOpcode = 0
    this.messageCompressed = false
    this.messageLength = 0
    this.handler.onMessage(data, binary)
  }

  private fail(code: number, message: string): void {
    this.stop()
    this.handler.onError(code, message)
  }

  private release(): void {
    this.input.clear()
    this.fragments = []
    this.block = null
    this.utf8.reset()
  }
}
