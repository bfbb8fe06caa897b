// The send queue of one connection, created only while something waits: a message being
// compressed holds a slot (a Pending) so that messages sent after it, compressed or not,
// cannot overtake it. Frames are whole, so control frames (pongs, pings) may bypass it.

/** A frame that is not encoded yet (compression in progress); shared by every queue it sits in. */
export class Pending {
  /** The encoded frame, once ready. */
  frame: Buffer | null = null
  /** Bytes counted against backpressure while waiting (the uncompressed size). */
  readonly size: number

  constructor(size: number) {
    this.size = size
  }
}

export class SendQueue {
  private items: Array<Buffer | Pending> = []
  private head = 0
  /** Bytes waiting, as counted when queued. */
  bytes = 0
  /** The close frame, when it is queued: the connection acts once it has been written. */
  closeFrame: Buffer | null = null

  get length(): number {
    return this.items.length - this.head
  }

  push(item: Buffer | Pending, size: number): void {
    this.items.push(item)
    this.bytes += size
  }

  /** The next frame if it is ready (removed from the queue), else null. */
  takeReady(): Buffer | null {
    if (this.head === this.items.length) return null
    const item = this.items[this.head]!
    let frame: Buffer
    if (item instanceof Pending) {
      if (item.frame === null) return null
      frame = item.frame
      this.bytes -= item.size
    } else {
      frame = item
      this.bytes -= item.length
    }
    this.items[this.head] = EMPTY
    if (++this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
    }
    return frame
  }
}

const EMPTY = Buffer.alloc(0)
