import type { Transform } from 'node:stream'
import { createEncoder, flushKind, type CodingLevels, type ContentCoding } from '../http/codings.ts'
import { releaseIterator } from '../http/release.ts'

type Chunk = Uint8Array | string
/** node:zlib's streams all have flush(kind, callback); the Transform type does not say so. */
type Encoder = Transform & { flush(kind: number, callback: () => void): void }
type Step = IteratorResult<Chunk>
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined })
const noop = (): void => {}
/** Compressed output is handed on once this much has gathered, flush or not. */
const OUTPUT_CHUNK = 16 * 1024

/**
 * A streamed body, compressed as it is pulled. Whenever the producer would make the client
 * wait (its next chunk is not ready by the time the current one is compressed), what has been
 * compressed so far is flushed and sent, so an SSE event or a progress line arrives at once.
 * Chunks the producer has ready back to back are compressed together without flushing, which
 * keeps the ratio of a burst of small writes close to that of one big write (flushing brotli
 * after every 100-byte line costs it most of its gain).
 *
 * Whether the next chunk is ready is learnt for free: it is asked for while the current one is
 * being compressed on the thread pool. So at most one chunk is read ahead, and backpressure
 * still reaches the producer.
 *
 * A plain iterator rather than an async generator because `return()` must work while `next()`
 * waits on the producer (an idle SSE stream when the client leaves): a generator would queue
 * the return behind that wait.
 */
export class CompressedBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  private z: Encoder | null = null
  private source: AsyncIterator<Chunk> | null = null
  private upcoming: Promise<Step> | null = null
  private ready = false
  private out: Buffer[] = []
  private outSize = 0
  private closed = false

  constructor(
    private readonly body: AsyncIterable<Chunk>,
    private readonly coding: ContentCoding,
    private readonly levels: CodingLevels,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.closed) return DONE
    if (this.z === null) {
      const z = (this.z = createEncoder(this.coding, this.levels) as Encoder)
      z.on('data', (b: Buffer) => {
        this.out.push(b)
        this.outSize += b.length
      })
      // Errors also reach the write, flush and end callbacks, which is where they are handled.
      z.on('error', noop)
      this.source = this.body[Symbol.asyncIterator]()
    }
    const z = this.z
    try {
      for (;;) {
        const step = await (this.upcoming ?? this.ask())
        this.upcoming = null
        if (this.closed) return DONE
        if (step.done) {
          await new Promise<void>((resolve, reject) => {
            z.once('end', resolve)
            z.once('error', reject)
            z.end()
          })
          this.closed = true
          const rest = this.take()
          return rest === null ? DONE : { done: false, value: rest }
        }
        const chunk = step.value
        if (typeof chunk === 'string' ? chunk.length === 0 : chunk.byteLength === 0) continue
        const written = new Promise<void>((resolve, reject) => z.write(chunk, (err) => (err ? reject(err) : resolve())))
        this.upcoming = this.ask()
        await written
        if (this.closed) return DONE
        if (!this.ready) {
          // The producer is making us wait: send everything so far.
          await new Promise<void>((resolve, reject) => z.flush(flushKind(this.coding), () => (z.destroyed ? reject(new Error('compressor closed')) : resolve())))
          if (this.closed) return DONE
        } else if (this.outSize < OUTPUT_CHUNK) {
          continue
        }
        const out = this.take()
        if (out !== null) return { done: false, value: out }
      }
    } catch (error) {
      if (this.closed) return DONE
      this.closed = true
      z.destroy()
      releaseIterator(this.source)
      throw error
    }
  }

  /** Asks the producer for its next chunk, noting when it has arrived. */
  private ask(): Promise<Step> {
    this.ready = false
    const p = this.source!.next()
    p.then(
      () => {
        if (this.upcoming === p) this.ready = true
      },
      () => {
        if (this.upcoming === p) this.ready = true
      },
    )
    return p
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.closed) {
      this.closed = true
      this.z?.destroy()
      releaseIterator(this.source)
    }
    return DONE
  }


  private take(): Buffer | null {
    const out = this.out
    if (out.length === 0) return null
    const chunk = out.length === 1 ? out[0]! : Buffer.concat(out, this.outSize)
    this.out = []
    this.outSize = 0
    return chunk
  }
}
