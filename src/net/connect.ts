import { connect as netConnect, type Socket, type NetConnectOpts } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { Connection, type ConnectionOptions } from './connection.ts'
import { NetError, toNetError } from './errors.ts'
import { nodeTlsClientOptions, type TlsClientOptions } from './tls.ts'

export interface ConnectOptions extends ConnectionOptions {
  /** Host name or address (default 'localhost'). */
  host?: string
  /** TCP port (required unless `path` is given). */
  port?: number
  /** A Unix domain socket path (or a Windows named pipe) instead of host and port. */
  path?: string
  /** Restrict name resolution to IPv4 (4) or IPv6 (6). */
  family?: 4 | 6
  /** Local address and port to connect from. */
  localAddress?: string
  localPort?: number
  /**
   * Time allowed to establish the connection, name lookup and TLS handshake included (default
   * 30 000 ms; 0 for none). Rejects with `TIMED_OUT`.
   */
  timeout?: number
  /**
   * Aborts the attempt (rejecting with `ABORTED`), and closes the connection with an `ABORTED`
   * error if it fires after the connection was made.
   */
  signal?: AbortSignal
  /** TLS: resolves once the handshake has completed and the server certificate verified. */
  tls?: TlsClientOptions
}

export const CONNECT_TIMEOUT = 30_000

function describe(options: ConnectOptions): string {
  return options.path !== undefined ? options.path : `${options.host ?? 'localhost'}:${options.port}`
}

function abortError(options: ConnectOptions, signal: AbortSignal): NetError {
  return new NetError('ABORTED', `connection to ${describe(options)} aborted`, { cause: signal.reason })
}

/** Opens a TCP, Unix or TLS connection. Rejects with a NetError (`CONNECTION_REFUSED`, ...). */
export function connect(options: ConnectOptions): Promise<Connection> {
  const { signal } = options
  if (options.path === undefined && (options.port === undefined || !Number.isInteger(options.port))) {
    return Promise.reject(new NetError('INVALID_ARGUMENT', 'connect(): give a port (or a Unix socket path)'))
  }
  if (signal?.aborted === true) return Promise.reject(abortError(options, signal))

  const base: NetConnectOpts & { highWaterMark?: number } =
    options.path !== undefined ? { path: options.path, allowHalfOpen: true } : { host: options.host ?? 'localhost', port: options.port!, allowHalfOpen: true }
  if (options.path === undefined) {
    if (options.family !== undefined) (base as { family?: number }).family = options.family
    if (options.localAddress !== undefined) (base as { localAddress?: string }).localAddress = options.localAddress
    if (options.localPort !== undefined) (base as { localPort?: number }).localPort = options.localPort
  }
  if (options.highWaterMark !== undefined) base.highWaterMark = options.highWaterMark

  let socket: Socket
  try {
    socket = options.tls === undefined ? netConnect(base) : tlsConnect({ ...base, ...nodeTlsClientOptions(options.tls, options.host ?? 'localhost') })
  } catch (error) {
    return Promise.reject(toNetError(error, 'connect'))
  }
  const ready = options.tls === undefined ? 'connect' : 'secureConnect'

  return new Promise<Connection>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer)
      socket.off(ready, onReady)
      socket.off('error', onError)
      signal?.removeEventListener('abort', onAbort)
    }
    const fail = (error: NetError): void => {
      cleanup()
      socket.destroy()
      reject(error)
    }
    const onError = (error: Error): void => fail(toNetError(error, `connect to ${describe(options)}`))
    const onAbort = (): void => fail(abortError(options, signal!))
    const onReady = (): void => {
      cleanup()
      const conn = new Connection(socket, options)
      if (signal !== undefined) {
        // Later aborts close the connection; the listener goes with the socket.
        const abortLater = (): void => void socket.destroy(abortError(options, signal))
        signal.addEventListener('abort', abortLater, { once: true })
        socket.once('close', () => signal.removeEventListener('abort', abortLater))
      }
      resolve(conn)
    }
    socket.once(ready, onReady)
    socket.once('error', onError)
    signal?.addEventListener('abort', onAbort, { once: true })
    const timeout = options.timeout ?? CONNECT_TIMEOUT
    if (timeout > 0) {
      timer = setTimeout(() => fail(new NetError('TIMED_OUT', `connect to ${describe(options)} timed out after ${timeout} ms`)), timeout)
    }
  })
}
