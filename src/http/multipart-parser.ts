import { HttpError } from './errors.ts'

/** What the parser reports, in order: for each part its header block, its data, its end. */
export interface MultipartSink {
  /** The part's raw header block, without the blank line that ends it (empty when none). */
  partBegin(headerBlock: Buffer): void
  /** A slice of the part's body; it may point into the chunk given to `write()`. */
  partData(bytes: Uint8Array): void
  partEnd(): void
}

const CR = 13
const LF = 10
const DASH = 45
const SP = 32
const TAB = 9

const PREAMBLE = 0
const AFTER_DELIMITER = 1
const AFTER_PADDING = 2
const AFTER_DASH = 3
const EXPECT_LF = 4
const HEADERS = 5
const BODY = 6
const DONE = 7

export function malformed(why: string): HttpError {
  return new HttpError(400, `Malformed multipart body: ${why}`)
}

/**
 * A push parser for a multipart body (RFC 2046 §5.1.1, as RFC 7578 uses it): feed it chunks
 * split anywhere, one byte at a time included, and it reports parts to its sink.
 *
 * Part bodies are searched for the delimiter `CRLF--boundary` with Buffer.indexOf (native), so
 * a large file costs one scan and no copies. A delimiter split across chunks is handled by
 * remembering how many of its bytes ended the previous chunk (`held`): those bytes are always a
 * prefix of the delimiter, so they need not be kept, only counted, and since the delimiter's
 * only CR is its first byte, a prefix that fails to continue is plain data and cannot hide the
 * start of another match.
 */
export class MultipartParser {
  private readonly delimiter: Buffer
  private state = PREAMBLE
  // The body may open with `--boundary` without a CRLF before it: start as if one was seen.
  private held = 2
  private headerParts: Buffer[] = []
  private headerSize = 0
  private headerMatch = 0

  constructor(
    boundary: string,
    private readonly sink: MultipartSink,
    private readonly maxHeaderSize: number,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1')
  }

  /** True once the closing delimiter has been seen. */
  get done(): boolean {
    return this.state === DONE
  }

  write(input: Uint8Array): void {
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    const n = chunk.length
    let i = 0
    while (i < n) {
      switch (this.state) {
        case PREAMBLE:
        case BODY:
          i = this.scanBody(chunk, i)
          break
        case AFTER_DELIMITER: {
          const b = chunk[i++]!
          if (b === DASH) this.state = AFTER_DASH
          else if (b === CR) this.state = EXPECT_LF
          else if (b === SP || b === TAB) this.state = AFTER_PADDING
          else throw malformed('unexpected data after a boundary (is the boundary right?)')
          break
        }
        case AFTER_PADDING: {
          const b = chunk[i++]!
          if (b === CR) this.state = EXPECT_LF
          else if (b !== SP && b !== TAB) throw malformed('unexpected data after a boundary')
          break
        }
        case AFTER_DASH:
          if (chunk[i++] !== DASH) throw malformed('unexpected data after a boundary')
          this.state = DONE
          break
        case EXPECT_LF:
          if (chunk[i++] !== LF) throw malformed('a boundary line must end with CRLF')
          this.state = HEADERS
          // The CRLF just seen counts towards the blank line, so a part without headers works.
          this.headerMatch = 2
          break
        case HEADERS:
          i = this.scanHeaders(chunk, i)
          break
        default:
          // The epilogue after the closing delimiter is ignored.
          return
      }
    }
  }

  /** The body has ended: anything but a closed multipart is an error. */
  end(): void {
    if (this.state === DONE) return
    if (this.state === PREAMBLE) throw malformed('no boundary found (wrong boundary, or not multipart)')
    throw malformed('truncated body (no closing boundary)')
  }

  private scanBody(chunk: Buffer, start: number): number {
    const d = this.delimiter
    const dl = d.length
    const n = chunk.length
    const emit = this.state === BODY
    let i = start
    if (this.held > 0) {
      const k = this.held
      const need = dl - k
      const avail = Math.min(need, n - i)
      if (d.compare(chunk, i, i + avail, k, k + avail) === 0) {
        if (avail < need) {
          this.held = k + avail
          return n
        }
        this.held = 0
        this.delimiterFound()
        return i + need
      }
      if (emit) this.sink.partData(d.subarray(0, k))
      this.held = 0
    }
    const at = chunk.indexOf(d, i)
    if (at !== -1) {
      if (emit && at > i) this.sink.partData(chunk.subarray(i, at))
      this.delimiterFound()
      return at + dl
    }
    // No whole delimiter: hold back a tail that could be the start of one.
    let tail = n
    let p = chunk.indexOf(CR, Math.max(i, n - dl + 1))
    while (p !== -1) {
      if (d.compare(chunk, p, n, 0, n - p) === 0) {
        tail = p
        break
      }
      p = chunk.indexOf(CR, p + 1)
    }
    if (emit && tail > i) this.sink.partData(chunk.subarray(i, tail))
    this.held = n - tail
    return n
  }

  private delimiterFound(): void {
    if (this.state === BODY) this.sink.partEnd()
    this.state = AFTER_DELIMITER
  }

  private scanHeaders(chunk: Buffer, start: number): number {
    const n = chunk.length
    let m = this.headerMatch
    let i = start
    // Progress through CR LF CR LF; header blocks are small, so a byte loop is fine here.
    while (i < n && m !== 4) {
      const b = chunk[i++]
      if (b === CR) m = m === 0 || m === 2 ? m + 1 : 1
      else if (b === LF) m = m === 1 || m === 3 ? m + 1 : 0
      else m = 0
    }
    this.headerMatch = m
    this.headerSize += i - start
    if (this.headerSize > this.maxHeaderSize + 4) {
      throw new HttpError(413, `Multipart part headers are larger than the limit of ${this.maxHeaderSize} bytes`, { headers: { connection: 'close' } })
    }
    this.headerParts.push(chunk.subarray(start, i))
    if (m === 4) {
      const parts = this.headerParts
      const block = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
      this.headerParts = []
      this.headerSize = 0
      this.state = BODY
      // Two bytes means the part had no headers (just the blank line); else drop CRLFCRLF.
      this.sink.partBegin(block.length === 2 ? block.subarray(0, 0) : block.subarray(0, block.length - 4))
    }
    return i
  }
}
