// Messages a client accepts while it has no open connection, sent in order once one opens.
// Bounded by count and bytes: a client offline for long must not grow without limit.
import type { SendOptions, WebSocketData } from './types.ts'

export interface QueueOptions {
  /** Most messages held while disconnected (default 1,000; 0 disables queueing). */
  messages?: number
  /** Most bytes held while disconnected (default 1 MiB). */
  bytes?: number
}

export const QUEUE_DEFAULTS = { messages: 1000, bytes: 1024 * 1024 } as const

interface Item {
  data: string | Buffer
  options: SendOptions | undefined
  size: number
}

export class OfflineQueue {
  readonly maxMessages: number
  readonly maxBytes: number
  private items: Array<Item | undefined> = []
  private head = 0
  bytes = 0

  constructor(options: QueueOptions = {}) {
    this.maxMessages = options.messages ?? QUEUE_DEFAULTS.messages
    this.maxBytes = options.bytes ?? QUEUE_DEFAULTS.bytes
    if (!(this.maxMessages >= 0)) throw new RangeError('queue.messages must be 0 or more')
    if (!(this.maxBytes >= 0)) throw new RangeError('queue.bytes must be 0 or more')
  }

  get length(): number {
    return this.items.length - this.head
  }

  /** Adds a message; false (and nothing added) when it does not fit. Bytes are copied: the caller may reuse its buffer. */
  push(data: WebSocketData, options: SendOptions | undefined): boolean {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
    if (this.length + 1 > this.maxMessages || this.bytes + size > this.maxBytes) return false
    const copy = typeof data === 'string' ? data : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data)
    // A copied Uint8Array becomes a Buffer, which send() also treats as binary: same message.
    this.items.push({ data: copy, options, size })
    this.bytes += size
    return true
  }

  /** The oldest message, left in place (removed by `shift` once it was accepted). */
  peek(): Item | undefined {
    return this.items[this.head]
  }

  shift(): void {
    const item = this.items[this.head]
    if (item === undefined) return
    this.bytes -= item.size
    this.items[this.head] = undefined
    if (++this.head === this.items.length) this.clear()
  }

  clear(): void {
    this.items = []
    this.head = 0
    this.bytes = 0
  }
}
