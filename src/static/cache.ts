/**
 * A bounded map for the static server's per-path entries. Insertion order doubles as recency:
 * an entry is moved to the back when it is revalidated (at most once per revalidation period,
 * so hits stay a plain Map lookup), and the front is evicted when either the entry count or
 * the bytes of cached file content pass their limits.
 */
export class BoundedCache<V extends { readonly bytes: number }> {
  private readonly map = new Map<string, V>()
  private total = 0

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get(key: string): V | undefined {
    return this.map.get(key)
  }

  set(key: string, value: V): void {
    const old = this.map.get(key)
    if (old !== undefined) {
      this.total -= old.bytes
      this.map.delete(key)
    }
    if (this.maxEntries === 0 || value.bytes > this.maxBytes) return
    this.map.set(key, value)
    this.total += value.bytes
    while (this.map.size > this.maxEntries || this.total > this.maxBytes) {
      const oldest = this.map.keys().next().value as string
      this.total -= this.map.get(oldest)!.bytes
      this.map.delete(oldest)
    }
  }

  delete(key: string): void {
    const old = this.map.get(key)
    if (old === undefined) return
    this.total -= old.bytes
    this.map.delete(key)
  }

  /** Entries and content bytes held (for tests and diagnostics). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.map.size, bytes: this.total }
  }
}
