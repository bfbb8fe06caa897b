import { Response, type ResponseInit } from './response.ts'
import { releaseIterator } from './release.ts'

/** One server-sent event. */
export interface SseEvent {
  /** The event type (`addEventListener(event, …)` in the browser); default "message". */
  event?: string
  /** The event id; the browser sends the last one back as Last-Event-ID when it reconnects. */
  id?: string | number
  /** How long (ms) the browser waits before reconnecting. */
  retry?: number
  /** The payload: strings are sent as they are (split on line breaks), anything else as JSON. */
  data?: unknown
}

export interface SseOptions extends ResponseInit {
  /** Milliseconds between heartbeat comments on an idle stream (default 15 000; 0 turns them off). */
  heartbeat?: number
  /** A `retry:` sent once at the start: the browser's reconnection delay in milliseconds. */
  retry?: number
}

type Source = AsyncIterable<SseEvent | string> | Iterable<SseEvent | string>

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined })
const PING = ': ping\n\n'
const LINE_BREAK = /\r\n|\r|\n/
const BAD_FIELD = /[\r\n\0]/

/**
 * A server-sent events response (text/event-stream) from an iterable of events: each item is a
 * string (sent as `data`) or `{ event, id, retry, data }`. The stream starts with a comment so
 * that proxies and browsers see it open at once, sends `: ping` when it has been idle for
 * `heartbeat` ms (proxies and load balancers drop silent connections), and stops the source
 * (its `return()`, so an async generator's `finally` runs) when the client goes away.
 *
 * `data` may hold any line breaks: each line becomes its own `data:` field. `event` and `id`
 * cannot hold one: a CR, LF or NUL there would let the value forge fields or events, so such an
 * event is refused with a TypeError, which ends the stream.
 */
export function sse(source: Source, options: SseOptions = {}): Response {
  const heartbeat = options.heartbeat ?? 15_000
  if (!(heartbeat >= 0) || !Number.isFinite(heartbeat)) throw new RangeError('sse: heartbeat must be a non-negative number of milliseconds')
  if (options.retry !== undefined) checkRetry(options.retry)
  const first = options.retry === undefined ? ':\n\n' : `retry: ${options.retry}\n\n`
  const body: AsyncIterable<string> = { [Symbol.asyncIterator]: () => new EventStream(source, heartbeat, first) }
  const res = new Response(null, options)
  res.body = body
  const map = res.headers.map
  map['content-type'] = 'text/event-stream; charset=utf-8'
  map['cache-control'] ??= 'no-cache'
  // nginx buffers proxied responses by default, which would hold events back.
  map['x-accel-buffering'] = 'no'
  return res
}

/** Serializes one event; throws for fields that would break the framing. */
export function formatEvent(item: SseEvent | string): string {
  if (typeof item === 'string') return dataLines(item) + '\n'
  if (item === null || typeof item !== 'object') throw new TypeError('sse: an event must be a string or an object')
  let out = ''
  if (item.event !== undefined) {
    const event = String(item.event)
    if (BAD_FIELD.test(event)) throw new TypeError('sse: an event name cannot contain CR, LF or NUL')
    out += `event: ${event}\n`
  }
  if (item.id !== undefined) {
    const id = String(item.id)
    if (BAD_FIELD.test(id)) throw new TypeError('sse: an event id cannot contain CR, LF or NUL')
    out += `id: ${id}\n`
  }
  if (item.retry !== undefined) {
    checkRetry(item.retry)
    out += `retry: ${item.retry}\n`
  }
  const data = item.data
  if (data !== undefined) out += dataLines(typeof data === 'string' ? data : (JSON.stringify(data) ?? ''))
  return out + '\n'
}

function dataLines(data: string): string {
  // The common single-line payload skips the split.
  if (!LINE_BREAK.test(data)) return `data: ${data}\n`
  let out = ''
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`
  return out
}

function checkRetry(retry: number): void {
  if (!Number.isInteger(retry) || retry < 0) throw new TypeError('sse: retry must be a whole, non-negative number of milliseconds')
}

/**
 * The body's iterator. A plain object rather than an async generator because `return()` must
 * take effect while `next()` waits on an idle source (the usual state of an event stream when
 * the client leaves): it clears the heartbeat and returns the source at once.
 */
class EventStream implements AsyncIterator<string> {
  private source: AsyncIterator<SseEvent | string> | Iterator<SseEvent | string> | null = null
  private pending: Promise<IteratorResult<SseEvent | string>> | null = null
  private timer: NodeJS.Timeout | null = null
  private waiter: ((result: IteratorResult<string>) => void) | null = null
  private failer: ((error: unknown) => void) | null = null
  private closed = false

  constructor(
    private readonly input: Source,
    private readonly heartbeat: number,
    private first: string | null,
  ) {}

  next(): Promise<IteratorResult<string>> {
    if (this.closed) return Promise.resolve(DONE)
    if (this.first !== null) {
      // Starting: open the source and the heartbeat only now, so a response that is never
      // sent leaves nothing running.
      const first = this.first
      this.first = null
      const input = this.input as Partial<AsyncIterable<SseEvent | string>> & Partial<Iterable<SseEvent | string>>
      this.source = typeof input[Symbol.asyncIterator] === 'function' ? input[Symbol.asyncIterator]!() : input[Symbol.iterator]!()
      if (this.heartbeat > 0) this.timer = setTimeout(() => this.beat(), this.heartbeat)
      return Promise.resolve({ done: false, value: first })
    }
    return new Promise((resolve, reject) => {
      this.waiter = resolve
      this.failer = reject
      if (this.pending === null) this.pull()
    })
  }

  /** Asks the source for its next event; the answer goes to whoever waits then. */
  private pull(): void {
    let pending: Promise<IteratorResult<SseEvent | string>>
    try {
      pending = Promise.resolve(this.source!.next())
    } catch (error) {
      // A synchronous iterable that throws.
      pending = Promise.reject(error)
    }
    this.pending = pending
    pending.then(
      (step) => {
        if (this.pending !== pending || this.closed) return
        this.pending = null
        let result: IteratorResult<string>
        try {
          result = step.done ? DONE : { done: false, value: formatEvent(step.value) }
        } catch (error) {
          this.fail(error)
          return
        }
        if (step.done) this.stop()
        this.timer?.refresh()
        this.deliver(result)
      },
      (error: unknown) => {
        if (this.pending === pending && !this.closed) this.fail(error)
      },
    )
  }

  private deliver(result: IteratorResult<string>): void {
    const waiter = this.waiter
    this.waiter = this.failer = null
    waiter?.(result)
  }

  private beat(): void {
    if (this.closed) return
    // Only an idle stream needs it: with no waiter the engine is still writing (backpressure).
    if (this.waiter !== null) this.deliver({ done: false, value: PING })
    this.timer!.refresh()
  }

  private fail(error: unknown): void {
    const failer = this.failer
    this.waiter = this.failer = null
    this.stop()
    releaseIterator(this.source)
    failer?.(error)
  }

  private stop(): void {
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  async return(): Promise<IteratorResult<string>> {
    if (!this.closed) {
      this.stop()
      this.deliver(DONE)
      releaseIterator(this.source)
    }
    return DONE
  }

}
