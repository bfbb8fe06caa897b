/**
 * Shared by every benchmark server: the port to listen on, the "listening" line the runner
 * waits for, a memory-stats reply over IPC (memory phase only), and a watchdog so a server
 * never outlives the runner that started it.
 */

export const HELLO = 'Hello World!'

/** The port from PORT (the runner always sets it). */
export function benchPort(): number {
  const port = Number(process.env.PORT)
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT must be a port number, got ${process.env.PORT}`)
  return port
}

/** The folder the static-file servers serve (the runner always sets BENCH_STATIC_DIR for them). */
export function staticDir(): string {
  const dir = process.env.BENCH_STATIC_DIR
  if (dir === undefined || dir === '') throw new Error('BENCH_STATIC_DIR must name the folder to serve')
  return dir
}

/** Idle keep-alive timeout in ms: the framework's default unless the runner sets one (memory phase). */
export function keepAliveMs(): number | undefined {
  const v = process.env.BENCH_KEEPALIVE_MS
  return v === undefined || v === '' ? undefined : Number(v)
}

export interface MemoryStats {
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}

/** Announces the server on stdout and wires shutdown, stats and the watchdog. */
export function announce(name: string, port: number): void {
  process.stdout.write(`listening ${name} http://127.0.0.1:${port}\n`)
  const stop = (): void => process.exit(0)
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  if (typeof process.send === 'function') {
    process.on('message', (msg: unknown) => {
      if ((msg as { type?: string } | null)?.type !== 'stats') return
      const gc = (globalThis as { gc?: () => void }).gc
      if (gc !== undefined) {
        gc()
        gc()
      }
      const m = process.memoryUsage()
      const stats: MemoryStats = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers }
      process.send?.({ type: 'stats', stats })
    })
    // The IPC channel must not keep the process alive on its own.
    process.channel?.unref()
  }
  watchParent()
}

/** Exits when the process that started us is gone (it was killed before it could stop us). */
export function watchParent(): void {
  const parent = process.ppid
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1)
  }, 1000).unref()
}
