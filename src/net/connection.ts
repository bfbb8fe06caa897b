import type { Socket } from 'node:net'
import { NetError, toNetError } from './errors.ts'
import { tlsInfo, type TlsInfo } from './tls.ts'

/** Per-connection behaviour shared by `listen()` and `connect()`. */
export interface ConnectionOptions {
  /**
   * Close the connection with a `TIMED_OUT` error after this many ms without reads or writes
   * (default 0: no idle timeout, since raw protocols may legitimately sit idle).
   */
  idleTimeout?: number
  /** Disable Nagle's algorithm (default true: small writes go out at once). */
  noDelay?: boolean
  /** TCP keep-alive probes: `true`, or the initial delay in ms (default false). */
  keepAlive?: boolean | number
  /**
   * Bytes the connection buffers in each direction before it stops reading from the socket
   * (unread data) or makes `write()` wait (unsent data). Default: Node's stream default (16 KiB
   * on Node 20, 64 KiB from Node 22).
   */
  highWaterMark?: number
}

export interface CloseOptions {
  /** How long to wait for already-written data to flush before destroying (default 5000 ms). */
  timeout?: number
}

export const CLOSE_TIMEOUT = 5_000

interface Waiter<T> {
  resolve: (value: T) => void
  reject: (error: NetError) => void
}

const RESOLVED: Promise<void> = Promise.resolve()
const EMPTY = new Uint8Array(0)

/**
 * One stream connection (TCP, Unix or TLS). The socket stays in paused mode: data is pulled by
 * `read()`, so Node's own readable buffer — bounded by its high-water mark — is the only buffer
 * and the kernel's flow control pushes back on a fast sender when the program reads slowly.
 */
export class Connection implements AsyncIterable<Uint8Array> {
  /** The underlying node:net socket, for what weft does not cover. Do not read from it. */
  readonly node: Socket
  readonly localAddress: string | undefined
  readonly localPort: number | undefined
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  readonly remoteFamily: string | undefined
  /** What a TLS connection negotiated (taken at the handshake), or null for a plain one. */
  readonly tls: TlsInfo | null
  /** Resolves once the socket is fully closed (never rejects). */
  readonly closed: Promise<void>

  #leftover: Uint8Array | null = null
  #ended = false
  #closing = false
  #error: NetError | null = null
  #reader: Waiter<Uint8Array | null> | null = null
  #drain: (Waiter<void> & { promise: Promise<void> }) | null = null
  #listening = false
  #idleTimeout = 0

  constructor(socket: Socket, options: ConnectionOptions = {}) {
    this.node = socket
    this.localAddress = socket.localAddress
    this.localPort = socket.localPort
    this.remoteAddress = socket.remoteAddress
    this.remotePort = socket.remotePort
    this.remoteFamily = socket.remoteFamily
    this.tls = tlsInfo(socket)
    // A socket that failed while it waited in a listener queue carries its error.
    if (socket.errored !== null && socket.errored !== undefined) this.#error = toNetError(socket.errored)
    this.closed = new Promise((resolve) => {
      if (socket.closed) resolve()
      else socket.once('close', () => resolve())
    })
    socket.on('error', (error: Error) => this.#fail(toNetError(error)))
    socket.on('end', () => this.#onEnd())
    socket.on('drain', () => this.#onDrain())
    socket.on('close', () => this.#onClose())
    socket.on('timeout', () => socket.destroy(new NetError('TIMED_OUT', `connection idle for more than ${this.#idleTimeout} ms`)))
    if (socket.remoteAddress !== undefined) {
      // TCP only: these calls are meaningless (and throw on some platforms) for Unix sockets.
      socket.setNoDelay(options.noDelay ?? true)
      const keepAlive = options.keepAlive ?? false
      if (keepAlive !== false) socket.setKeepAlive(true, keepAlive === true ? 0 : keepAlive)
    }
    if (options.idleTimeout !== undefined && options.idleTimeout > 0) this.setIdleTimeout(options.idleTimeout)
  }


  get bytesRead(): number {
    return this.node.bytesRead
  }

  get bytesWritten(): number {
    return this.node.bytesWritten
  }

  /**
   * The next chunk of data, or null once the peer has ended its side (or this side closed).
   * Rejects with the connection's NetError (`CONNECTION_RESET`, `TIMED_OUT`, ...). One read at
   * a time: a second concurrent read() rejects with a TypeError.
   */
  read(): Promise<Uint8Array | null> {
    if (this.#leftover !== null) {
      const chunk = this.#leftover
      this.#leftover = null
      return Promise.resolve(chunk)
    }
    if (this.#reader !== null) return Promise.reject(new TypeError('Connection.read(): another read is still pending'))
    if (this.#error !== null) return Promise.reject(this.#error)
    if (this.#ended || this.#closing || this.node.destroyed) return Promise.resolve(null)
    const chunk = this.node.read() as Uint8Array | null
    if (chunk !== null) return Promise.resolve(chunk)
    // Attached on first use so an accepted connection does not start reading before asked to.
    if (!this.#listening) {
      this.#listening = true
      this.node.on('readable', () => this.#onReadable())
    }
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject }
    })
  }

  /**
   * Exactly `n` bytes, assembled across chunks. If the peer ends first it rejects with
   * `UNEXPECTED_EOF`; the bytes that did arrive stay readable with read().
   */
  async readExactly(n: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0) throw new NetError('INVALID_ARGUMENT', `readExactly(): n must be a non-negative integer, got ${n}`)
    if (n === 0) return EMPTY
    const parts: Uint8Array[] = []
    let have = 0
    while (have < n) {
      const chunk = await this.read()
      if (chunk === null) {
        if (have > 0) this.#leftover = parts.length === 1 ? parts[0]! : Buffer.concat(parts, have)
        throw new NetError('UNEXPECTED_EOF', `expected ${n} bytes but the connection ended after ${have}`)
      }
      const need = n - have
      if (chunk.length > need) {
        parts.push(chunk.subarray(0, need))
        this.#leftover = chunk.subarray(need)
        have = n
      } else {
        parts.push(chunk)
        have += chunk.length
      }
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n)
  }

  /**
   * Chunks until the peer ends. Leaving the loop early does not close the connection (the
   * program may still write a reply); call close() when done.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) yield chunk
  }

  /**
   * Queues data. Resolves at once while the unsent data stays below the high-water mark, and
   * otherwise once it has drained — so `await conn.write(x)` in a loop never buffers without
   * bound. Rejects with `CLOSED` after end()/close(), or with the connection's error.
   */
  write(data: Uint8Array | string): Promise<void> {
    if (this.#error !== null) return Promise.reject(this.#error)
    const socket = this.node
    if (this.#closing || socket.destroyed || socket.writableEnded) return Promise.reject(new NetError('CLOSED', 'write() after the connection was ended or closed'))
    if (socket.write(data)) return RESOLVED
    if (this.#drain === null) {
      let waiter!: Waiter<void>
      const promise = new Promise<void>((resolve, reject) => (waiter = { resolve, reject }))
      this.#drain = { ...waiter, promise }
    }
    return this.#drain.promise
  }

  /** Half-close: sends FIN after the queued data; reading goes on. Resolves once flushed. */
  end(): Promise<void> {
    const socket = this.node
    if (socket.writableFinished) return RESOLVED
    if (this.#error !== null) return Promise.reject(this.#error)
    if (socket.destroyed) return Promise.reject(new NetError('CLOSED', 'end() after the connection was closed'))
    return new Promise((resolve, reject) => {
      socket.end((error?: Error | null) => (error ? reject(this.#error ?? toNetError(error)) : resolve()))
    })
  }

  /**
   * Closes both directions: data already written is flushed first (bounded by `timeout`), unread
   * incoming data is discarded, pending and later reads give null. Resolves once closed.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const socket = this.node
    if (!this.#closing && !socket.destroyed) {
      this.#closing = true
      this.#settleReader(null)
      if (socket.writableFinished || socket.writableLength === 0) {
        socket.destroy()
      } else {
        const timer = setTimeout(() => socket.destroy(), options.timeout ?? CLOSE_TIMEOUT)
        socket.once('close', () => clearTimeout(timer))
        socket.end(() => socket.destroy())
      }
    }
    return this.closed
  }

  /** Aborts at once: queued data is dropped and the peer sees a reset (RST) where supported. */
  reset(): Promise<void> {
    this.#closing = true
    this.#settleReader(null)
    const socket = this.node
    if (!socket.destroyed) {
      // resetAndDestroy() exists for TCP only; other sockets are just destroyed.
      if (typeof socket.resetAndDestroy === 'function' && socket.remoteAddress !== undefined) socket.resetAndDestroy()
      else socket.destroy()
    }
    return this.closed
  }

  /** Sets (or with 0 clears) the idle timeout in ms. */
  setIdleTimeout(ms: number): void {
    this.#idleTimeout = ms
    this.node.setTimeout(ms)
  }

  setNoDelay(noDelay = true): void {
    this.node.setNoDelay(noDelay)
  }

  setKeepAlive(enable: boolean, initialDelay = 0): void {
    this.node.setKeepAlive(enable, initialDelay)
  }

  #onReadable(): void {
    if (this.#reader === null) return
    const chunk = this.node.read() as Uint8Array | null
    // null here means the stream has ended (or is about to): 'end' will settle the reader.
    if (chunk !== null) this.#settleReader(chunk)
  }

  #onEnd(): void {
    this.#ended = true
    this.#settleReader(null)
  }

  #onDrain(): void {
    const drain = this.#drain
    if (drain === null) return
    this.#drain = null
    drain.resolve()
  }

  #onClose(): void {
    if (this.#reader !== null) {
      if (this.#error !== null) this.#failReader(this.#error)
      else this.#settleReader(null)
    }
    const drain = this.#drain
    if (drain !== null) {
      this.#drain = null
      drain.reject(this.#error ?? new NetError('CLOSED', 'the connection closed before pending data was sent'))
    }
  }

  #fail(error: NetError): void {
    if (this.#error === null) this.#error = error
    this.#failReader(this.#error)
    const drain = this.#drain
    if (drain !== null) {
      this.#drain = null
      drain.reject(this.#error)
    }
  }

  #settleReader(value: Uint8Array | null): void {
    const reader = this.#reader
    if (reader === null) return
    this.#reader = null
    reader.resolve(value)
  }

  #failReader(error: NetError): void {
    const reader = this.#reader
    if (reader === null) return
    this.#reader = null
    reader.reject(error)
  }
}
