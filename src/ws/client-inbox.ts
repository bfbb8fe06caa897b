// Messages waiting for the client's async iterator (`for await (const msg of ws)`).
//
// Messages are kept from connect() on, so that none is lost between the open and the start of
// the loop (a server may send its greeting in the same packet as the 101). A client that never
// iterates must not keep them forever: buffering stops (and what was kept is dropped) when a
// 'message' listener is added before any iterator, or when more than `limit` bytes pile up
// before one starts. While an iterator runs, more than `limit` bytes waiting pauses the socket
// (TCP backpressure on the server) until the loop has caught up to half of it.
import type { WebSocketMessage } from './types.ts'

const PENDING = 0
const ACTIVE = 1
const OFF = 2

type Waiter = { resolve(r: IteratorResult<WebSocketMessage>): void; reject(e: Error): void }

export class Inbox {
  private items: Array<WebSocketMessage | undefined> = []
  private head = 0
  private bytes = 0
  private mode = PENDING
  private waiters: Waiter[] = []
  private ended = false
  private error: Error | null = null
  /** True while the socket is paused for this inbox. */
  paused = false

  constructor(
    private readonly limit: number,
    private readonly pause: (paused: boolean) => void,
  ) {}

  /** An iterator started: keep every message from now on. */
  start(): void {
    this.mode = ACTIVE
  }

  /** A 'message' listener came first: messages are consumed there; stop keeping them. */
  ignore(): void {
    if (this.mode === PENDING) this.drop()
  }

  push(message: WebSocketMessage): void {
    if (this.mode === OFF || this.ended) return
    const waiter = this.waiters.shift()
    if (waiter !== undefined) {
      waiter.resolve({ value: message, done: false })
      return
    }
    this.items.push(message)
    this.bytes += message.length
    if (this.bytes <= this.limit) return
    if (this.mode === PENDING) this.drop()
    else if (!this.paused) {
      this.paused = true
      this.pause(true)
    }
  }

  next(): Promise<IteratorResult<WebSocketMessage>> {
    if (this.head < this.items.length) {
      const message = this.items[this.head]!
      this.items[this.head] = undefined
      if (++this.head === this.items.length) {
        this.items = []
        this.head = 0
      }
      this.bytes -= message.length
      if (this.paused && this.bytes <= this.limit / 2) {
        this.paused = false
        this.pause(false)
      }
      return Promise.resolve({ value: message, done: false })
    }
    if (this.ended) {
      const error = this.error
      // The error is thrown once; later calls see the end.
      this.error = null
      return error === null ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error)
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }))
  }

  /** The client is closed for good: waiting iterators end (with `error` if the client failed). */
  end(error: Error | null): void {
    if (this.ended) return
    this.ended = true
    this.error = error
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) {
      if (this.error !== null) {
        w.reject(this.error)
        this.error = null
      } else w.resolve({ value: undefined, done: true })
    }
  }

  private drop(): void {
    this.mode = OFF
    this.items = []
    this.head = 0
    this.bytes = 0
  }
}
