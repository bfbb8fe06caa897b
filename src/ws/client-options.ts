// The options of `connect()` and the events of the client, with their defaults.
import type { CloseInfo, ReconnectOptions } from './backoff.ts'
import type { ClientTlsOptions } from './client-handshake.ts'
import type { QueueOptions } from './client-queue.ts'
import type { DeflateConfig } from './deflate-negotiation.ts'
import type { DeflateOptions } from './permessage-deflate.ts'
import type { WebSocketMessage } from './types.ts'

export interface ConnectOptions extends ClientTlsOptions {
  /** Extra request headers (authorization, cookie...). The handshake's own headers may not be set. */
  headers?: Record<string, string | readonly string[]>
  /** Subprotocols to offer, in order of preference; the server picks one (or none): `ws.protocol`. */
  protocols?: string | readonly string[]
  /** The Origin header (browsers send one; servers may check it). */
  origin?: string
  /** Offer permessage-deflate: `true` for the defaults, an object to tune (default off). */
  deflate?: boolean | (DeflateConfig & Omit<DeflateOptions, 'limiter'>)
  /** Largest message in bytes the server may send, after decompression (default 1 MiB); larger ones close with 1009. */
  maxPayload?: number
  /** Most bytes waiting to be written before a send is dropped and the connection closed with 1008 (default 4 MiB). */
  maxBackpressure?: number
  /** Milliseconds for TCP, TLS and the 101 answer together (default 10 s). */
  handshakeTimeout?: number
  /** How long to wait for the server's close frame and the end of TCP after ours (default 5 s). */
  closeTimeout?: number
  /**
   * Pings to a quiet server every `heartbeat` ms; one that has not answered by the next ping is
   * dropped (1006), which triggers a reconnection. Default 30 s; `false` disables.
   */
  heartbeat?: boolean | number
  /** Reconnect after the connection is lost: `true` for the defaults, or a policy. Default off. */
  reconnect?: boolean | ReconnectOptions
  /** Bounds on the messages sent while disconnected, held until a connection opens. */
  queue?: QueueOptions
}

export const CLIENT_DEFAULTS = {
  handshakeTimeout: 10_000,
  heartbeat: 30_000,
  maxPayload: 1024 * 1024,
  maxBackpressure: 4 * 1024 * 1024,
  closeTimeout: 5_000,
} as const

/** A reconnection is scheduled: what ended the last connection (or attempt), the attempt number (1 for the first) and its delay in ms. */
export interface ReconnectInfo extends CloseInfo {
  attempt: number
  delay: number
}

/** The events of a WebSocketClient, with their arguments. */
export interface ClientEvents {
  /** A connection opened (the first one, or a reconnection). Messages queued while offline are sent right after the listeners ran. */
  open: []
  /** A message: text as a string, binary as a Buffer. */
  message: [data: WebSocketMessage]
  /** A reconnection is scheduled after a connection was lost or an attempt failed. */
  reconnect: [info: ReconnectInfo]
  /** The client is closed for good (once): after `close()`, or when the policy stopped reconnecting. */
  close: [info: CloseInfo]
  /**
   * A failed connection attempt (handshake, network, TLS), a protocol failure by the server
   * (a WebSocketError), a full send queue (WebSocketQueueFullError), or a throw in a listener.
   * Optional: without a listener, nothing is thrown; listener throws are logged.
   */
  error: [error: Error]
  ping: [data: Buffer]
  pong: [data: Buffer]
  /** Everything that was buffered has been written (after a send returned 'queued'). */
  drain: []
}
