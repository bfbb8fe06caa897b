/**
 * A fixed-capacity FIFO on a ring buffer: O(1) push and shift with no array reshuffling, so a
 * busy listener or UDP socket does not pay Array#shift's copying when its queue is long.
 */
export class BoundedQueue<T> {
  readonly capacity: number
  #items: Array<T | undefined>
  #head = 0
  #size = 0

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`)
    this.capacity = capacity
    // Grown on demand up to capacity: a queue that never fills costs little.
    this.#items = []
  }

  get size(): number {
    return this.#size
  }

  get full(): boolean {
    return this.#size === this.capacity
  }

  /** Appends; returns false (and stores nothing) when full. */
  push(item: T): boolean {
    if (this.#size === this.capacity) return false
    const index = (this.#head + this.#size) % this.capacity
    if (index === this.#items.length) this.#items.push(item)
    else this.#items[index] = item
    this.#size++
    return true
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head] = undefined // let it be collected
    this.#head = (this.#head + 1) % this.capacity
    this.#size--
    return item
  }

  /** Removes everything, returning the items oldest first. */
  drain(): T[] {
    const out: T[] = []
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item)
    return out
  }
}
