// A process-wide bound on concurrent zlib jobs. zlib work runs on libuv's thread pool (4
// threads by default, shared with fs and dns); thousands of connections compressing at once
// would queue there unboundedly and starve file I/O, and each in-flight job pins its buffers.

/** Jobs that run at once before the rest wait, by default. */
export const DEFAULT_ZLIB_CONCURRENCY = 10

export class ZlibLimiter {
  private running = 0
  private readonly waiting: Array<() => void> = []
  concurrency: number

  constructor(concurrency = DEFAULT_ZLIB_CONCURRENCY) {
    this.concurrency = concurrency
  }

  /** Jobs running now. */
  get active(): number {
    return this.running
  }

  /** Jobs waiting for a slot. */
  get pending(): number {
    return this.waiting.length
  }

  /** Calls `start` now if a slot is free, else when one is; the job must call `release` once. */
  acquire(start: () => void): void {
    if (this.running < this.concurrency) {
      this.running++
      start()
    } else {
      this.waiting.push(start)
    }
  }

  release(): void {
    // The slot passes straight to the next waiting job, if any.
    const next = this.running <= this.concurrency ? this.waiting.shift() : undefined
    if (next === undefined) this.running--
    else next()
  }
}

/** The limiter every permessage-deflate context shares unless given its own. */
export const zlibLimiter = new ZlibLimiter()
