import { createServer, type AddressInfo, type Server, type Socket, type ServerOpts } from 'node:net'
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import { Connection, type ConnectionOptions } from './connection.ts'
import { NetError, toNetError } from './errors.ts'
import { BoundedQueue } from './queue.ts'
import { serverTlsConfig, type TlsServerOptions } from './tls.ts'
import type { TlsServerConfig } from '../tls/server.ts'
import { supportsReusePort } from './capabilities.ts'

export interface ListenOptions extends ConnectionOptions {
  /** TCP port (default 0: the system picks a free one, see `listener.port`). */
  port?: number
  /** Address to bind (default '127.0.0.1'; '0.0.0.0' or '::' for every interface). */
  host?: string
  /** A Unix domain socket path (or a Windows named pipe) instead of host and port. */
  path?: string
  /** Kernel accept backlog (default 511). */
  backlog?: number
  /**
   * Accepted connections waiting for the program to take them (default 128). When the queue is
   * full, further connections are closed as soon as they arrive and counted in `dropped`.
   */
  maxPending?: number
  /** Connections open at once, taken or not; beyond it Node closes new ones (default: no limit). */
  maxConnections?: number
  /** SO_REUSEPORT, so several processes can share the port (Node ≥ 22.12 on Linux/BSD). */
  reusePort?: boolean
  /** With host '::': accept IPv6 only. */
  ipv6Only?: boolean
  /**
   * TLS: connections are handed over once their handshake has completed. Options as for
   * weft/tls, or a TlsServerConfig shared with other servers (reload it with setCertificates).
   */
  tls?: TlsServerOptions | TlsServerConfig
  /** Closes the listener when it aborts. */
  signal?: AbortSignal
  /**
   * Told about failures that do not stop the listener: accept errors such as EMFILE, and TLS
   * handshakes that failed (default: ignored; the listener keeps accepting).
   */
  onError?: (error: NetError) => void
}

export const LISTEN_DEFAULTS = { host: '127.0.0.1', port: 0, backlog: 511, maxPending: 128 } as const

// Queued sockets belong to nobody yet: an error on one (a reset while it waits) must not go
// unhandled. A shared function avoids a closure per connection; Connection sees `errored` later.
function ignore(): void {}

/**
 * A listening TCP, Unix or TLS socket: an async iterable of accepted connections.
 *
 * Back-pressure on accepting: libuv accepts every connection the kernel completes, and Node has
 * no public way to pause that, so weft bounds what it holds instead: up to `maxPending`
 * connections wait (not reading: plain sockets are accepted paused) for the program to take
 * them; past that, new ones are closed at once and counted in `dropped`. Use `maxConnections` to
 * bound the connections being served as well.
 */
export class Listener implements AsyncIterable<Connection> {
  /** The underlying node:net (or node:tls) server, for what weft does not cover. */
  readonly node: Server
  /** The bound address ('127.0.0.1', '::1', ...) or, for a Unix socket, its path. */
  readonly address: string
  /** The bound port (0 for a Unix socket). */
  readonly port: number
  /** The Unix socket path, if any. */
  readonly path: string | undefined
  /** tcp://host:port, tls://host:port or unix:PATH */
  readonly url: string
  /** The TLS configuration (`listener.tls.setCertificates(...)` reloads), or null. */
  readonly tls: TlsServerConfig | null

  #queue: BoundedQueue<Socket>
  #waiters: Array<(conn: Connection | null) => void> = []
  #options: ConnectionOptions
  #closed = false
  #dropped = 0
  #onAbort: (() => void) | null = null
  #signal: AbortSignal | undefined
  #onClose: (() => void) | undefined

  constructor(server: Server, options: ListenOptions, tls?: { config: TlsServerConfig; release: () => void }) {
    this.node = server
    this.tls = tls?.config ?? null
    this.#onClose = tls?.release
    this.#queue = new BoundedQueue(options.maxPending ?? LISTEN_DEFAULTS.maxPending)
    this.#options = { idleTimeout: options.idleTimeout, noDelay: options.noDelay, keepAlive: options.keepAlive }
    const bound = server.address()
    if (typeof bound === 'string' || bound === null) {
      this.path = bound ?? options.path
      this.address = this.path ?? ''
      this.port = 0
      this.url = `unix:${this.address}`
    } else {
      const info = bound as AddressInfo
      this.path = undefined
      this.address = info.address
      this.port = info.port
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address
      this.url = `${options.tls === undefined ? 'tcp' : 'tls'}://${host}:${info.port}`
    }
    const onError = options.onError
    server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => this.#onConnection(socket))
    server.on('error', (error: Error) => onError?.(toNetError(error, 'accept')))
    if (options.tls !== undefined) {
      server.on('tlsClientError', (error: Error, socket: Socket) => {
        socket.destroy()
        onError?.(toNetError(error, 'TLS handshake'))
      })
    }
    if (options.signal !== undefined) {
      const signal = options.signal
      this.#signal = signal
      this.#onAbort = () => void this.close()
      signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  /** Connections closed on arrival because the pending queue was full. */
  get dropped(): number {
    return this.#dropped
  }

  /** Accepted connections waiting to be taken. */
  get pending(): number {
    return this.#queue.size
  }

  get closed(): boolean {
    return this.#closed
  }

  /** The next connection, or null once the listener is closed. */
  accept(): Promise<Connection | null> {
    for (let socket = this.#queue.shift(); socket !== undefined; socket = this.#queue.shift()) {
      // One that was reset while it waited is of no use to anyone.
      if (!socket.destroyed) return Promise.resolve(this.#wrap(socket))
    }
    if (this.#closed) return Promise.resolve(null)
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /**
   * Stops accepting and ends the iteration. Connections still waiting in the queue are closed;
   * connections already taken are the program's and stay open. Resolves once the port (or
   * socket path) is released.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    this.#onClose?.() // TLS: stop ticket-key rotation and OCSP for this server now
    if (this.#onAbort !== null) this.#signal?.removeEventListener('abort', this.#onAbort)
    for (const socket of this.#queue.drain()) socket.destroy()
    for (const resolve of this.#waiters.splice(0)) resolve(null)
    // server.close()'s callback waits for every connection to end; the listening handle itself
    // is released synchronously, which is what the caller waits for.
    this.node.close()
    return new Promise((resolve) => setImmediate(resolve))
  }

  /** `for await (const conn of listener)`; leaving the loop closes the listener. */
  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return {
      next: async (): Promise<IteratorResult<Connection>> => {
        const conn = await this.accept()
        return conn === null ? { done: true, value: undefined } : { done: false, value: conn }
      },
      return: async (): Promise<IteratorResult<Connection>> => {
        await this.close()
        return { done: true, value: undefined }
      },
    }
  }

  #wrap(socket: Socket): Connection {
    socket.off('error', ignore)
    return new Connection(socket, this.#options)
  }

  #onConnection(socket: Socket): void {
    if (this.#closed) {
      socket.destroy()
      return
    }
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) {
      waiter(this.#wrap(socket))
      return
    }
    socket.on('error', ignore)
    if (!this.#queue.push(socket)) {
      this.#dropped++
      socket.destroy()
    }
  }
}

/** Listens on TCP (host/port), a Unix socket (path), or TLS (tls). Resolves once listening. */
export async function listen(options: ListenOptions = {}): Promise<Listener> {
  if (options.path !== undefined && (options.port !== undefined || options.host !== undefined)) {
    throw new NetError('INVALID_ARGUMENT', 'listen(): give either path or host/port, not both')
  }
  if (options.reusePort === true && !supportsReusePort()) {
    throw new NetError('UNSUPPORTED', `listen(): reusePort needs Node ≥ 22.12 on Linux or BSD (this is Node ${process.versions.node} on ${process.platform})`)
  }
  if (options.signal?.aborted === true) throw new NetError('ABORTED', 'listen(): the signal was already aborted')
  const serverOptions: ServerOpts & { highWaterMark?: number } = {
    allowHalfOpen: true, // end() is a half-close; the peer's FIN must not end our side too
    pauseOnConnect: options.tls === undefined, // queued connections do not read until taken
  }
  if (options.highWaterMark !== undefined) serverOptions.highWaterMark = options.highWaterMark
  const tls = options.tls === undefined ? null : serverTlsConfig(options.tls)
  const server: Server = tls === null ? createServer(serverOptions) : createTlsServer({ ...serverOptions, ...tls.config.serverOptions() })
  const detach = tls?.config.attach(server as TlsServer)
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections

  const listenOptions: Record<string, unknown> = { backlog: options.backlog ?? LISTEN_DEFAULTS.backlog }
  if (options.path !== undefined) listenOptions.path = options.path
  else {
    listenOptions.port = options.port ?? LISTEN_DEFAULTS.port
    listenOptions.host = options.host ?? LISTEN_DEFAULTS.host
    if (options.ipv6Only !== undefined) listenOptions.ipv6Only = options.ipv6Only
    if (options.reusePort !== undefined) listenOptions.reusePort = options.reusePort
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      // A config made for this listener dies with it; a shared one only lets go of the server.
      if (tls !== null) {
        if (tls.owned) tls.config.close()
        else detach?.()
      }
      reject(toNetError(error, 'listen'))
    }
    server.once('error', onError)
    server.listen(listenOptions, () => {
      server.off('error', onError)
      resolve()
    })
  })
  if (tls === null) return new Listener(server, options)
  const release = tls.owned ? () => tls.config.close() : detach!
  return new Listener(server, options, { config: tls.config, release })
}
