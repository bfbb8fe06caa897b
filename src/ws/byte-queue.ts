// The parser's input: received chunks, read from the front. Header bytes are read one by one
// (no allocation); payloads are views when they lie within one chunk, copied once when they
// span several.

/** Chunks below this size that arrive while bytes are waiting are gathered into a block. */
const SMALL_CHUNK = 1024
const BLOCK_SIZE = 16 * 1024

export class ByteQueue {
  /** `chunks[0]` is read from `head` on. */
  private chunks: Buffer[] = []
  private head = 0
  /** Unread bytes. */
  length = 0
  // The block small chunks are copied into, and its view: the last element of `chunks`.
  private block: Buffer | null = null
  private blockView: Buffer | null = null
  private blockStart = 0
  private blockUsed = 0

  /**
   * Appends a chunk. When nothing is waiting (the common case: a chunk of whole frames) it is
   * kept as is. When part of a frame is waiting, small chunks are copied into a shared block,
   * so that a peer trickling a large frame a few bytes per packet costs neither a Buffer per
   * packet nor a long array to walk.
   */
  push(chunk: Buffer): void {
    this.length += chunk.length
    const n = this.chunks.length
    if (n === 0 || chunk.length >= SMALL_CHUNK) {
      this.chunks.push(chunk)
      this.block = null
      return
    }
    const block = this.block
    if (block !== null && this.chunks[n - 1] === this.blockView && block.length - this.blockUsed >= chunk.length) {
      chunk.copy(block, this.blockUsed)
      this.blockUsed += chunk.length
      // Same start, so `head` stays valid if this view is the one being read.
      this.blockView = block.subarray(this.blockStart, this.blockUsed)
      this.chunks[n - 1] = this.blockView
      return
    }
    const fresh = Buffer.allocUnsafe(BLOCK_SIZE)
    chunk.copy(fresh, 0)
    this.block = fresh
    this.blockStart = 0
    this.blockUsed = chunk.length
    this.blockView = fresh.subarray(0, chunk.length)
    this.chunks.push(this.blockView)
  }

  clear(): void {
    this.chunks = []
    this.head = 0
    this.length = 0
    this.block = null
    this.blockView = null
  }

  /** The next byte; the caller has checked `length`. */
  readByte(): number {
    const chunk = this.chunks[0]!
    const b = chunk[this.head++]!
    this.length--
    if (this.head === chunk.length) {
      this.chunks.shift()
      this.head = 0
    }
    return b
  }

  /** The next 4 bytes as a big-endian unsigned integer. */
  readUint32(): number {
    return this.readByte() * 0x1000000 + ((this.readByte() << 16) | (this.readByte() << 8) | this.readByte())
  }

  /** The next `n` bytes (at most `length`): a view into one chunk, or a copy across chunks. */
  take(n: number): Buffer {
    this.length -= n
    const chunk = this.chunks[0]!
    const available = chunk.length - this.head
    if (available >= n) {
      const out = this.head === 0 && n === chunk.length ? chunk : chunk.subarray(this.head, this.head + n)
      this.head += n
      if (this.head === chunk.length) {
        this.chunks.shift()
        this.head = 0
      }
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let offset = 0
    let i = 0
    let head = this.head
    while (offset < n) {
      const c = this.chunks[i]!
      const count = Math.min(c.length - head, n - offset)
      c.copy(out, offset, head, head + count)
      offset += count
      head += count
      if (head === c.length) {
        i++
        head = 0
      }
    }
    // One splice rather than a shift per chunk, which would be quadratic in the chunk count.
    this.chunks.splice(0, i)
    this.head = head
    return out
  }
}
