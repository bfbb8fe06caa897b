// A small typed event emitter for the WebSocket client. Not node:events: an 'error' event
// without a listener must not throw (a reconnecting client reports every failed attempt; the
// failures also reach `opened`, `closed` and async iteration), and the client needs to know
// when a 'message' listener arrives (see client-inbox.ts).

type Listener<A extends unknown[]> = (...args: A) => void
type Entry<A extends unknown[]> = { fn: Listener<A>; once: boolean }

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly entries: { [K in keyof Events]?: Array<Entry<Events[K]>> } = {}

  /** Adds a listener. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    return this.add(event, listener, false)
  }

  /** Adds a listener that is removed after its first call. */
  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    return this.add(event, listener, true)
  }

  /** Removes a listener (added with `on` or `once`). */
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const list = this.entries[event]
    if (list === undefined) return this
    const i = list.findIndex((e) => e.fn === listener)
    if (i >= 0) list.splice(i, 1)
    return this
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.entries[event]?.length ?? 0
  }

  /** Called when a listener is added (for subclasses). */
  protected listening(_event: keyof Events): void {}

  /** Calls the listeners in order; a throw propagates (the caller decides what it means). */
  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    const list = this.entries[event]
    if (list === undefined || list.length === 0) return false
    for (const entry of [...list]) {
      if (entry.once) this.off(event, entry.fn)
      entry.fn(...args)
    }
    return true
  }

  private add<K extends keyof Events>(event: K, fn: Listener<Events[K]>, once: boolean): this {
    if (typeof fn !== 'function') throw new TypeError('a listener must be a function')
    ;(this.entries[event] ??= []).push({ fn, once })
    this.listening(event)
    return this
  }
}
