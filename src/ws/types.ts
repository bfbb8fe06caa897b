// The public types of WebSocket connections and routes: handlers, options, send results.
import type { Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'
import type { DeflateConfig } from './deflate-negotiation.ts'
import type { DeflateOptions } from './permessage-deflate.ts'
import type { WebSocket } from './connection.ts'

/**
 * What `send()` did with a message:
 * - `'sent'`: handed to the socket, which took it without going over its high-water mark;
 * - `'queued'`: accepted, but it waits (socket buffer over its high-water mark, or behind a
 *   message being compressed); a `drain` call follows once everything is flushed;
 * - `'dropped'`: not sent: the connection is not open, or the message would have taken
 *   `bufferedAmount` over `maxBackpressure` (the connection is then closed with 1008).
 */
export type SendStatus = 'sent' | 'queued' | 'dropped'

export interface SendOptions {
  /** Send as a binary message (default: binary for bytes, text for a string). */
  binary?: boolean
  /**
   * Compress with permessage-deflate when it was negotiated (default: true for messages of at
   * least the deflate threshold; `false` sends this one uncompressed).
   */
  compress?: boolean
}

/** A message as `message` handlers receive it: text as a string, binary as a Buffer. */
export type WebSocketMessage = string | Buffer

/** What may be sent or published: a string goes as text, bytes as binary. */
export type WebSocketData = string | Uint8Array | ArrayBuffer

/**
 * The callbacks of one WebSocket route (shared by all its connections: no closure per
 * connection). `Data` is the per-connection user data `upgrade` returns (`ws.data`).
 */
export interface WebSocketHandlers<Data = undefined, P extends Record<string, string> = Record<string, string>> {
  /**
   * Runs before the handshake completes, after routing and middleware. Return the connection's
   * user data, or a Response to refuse the upgrade with it (a 401, a 403...).
   */
  upgrade?(req: Request<P>): Data | Response | Promise<Data | Response>
  /** The connection is open: messages may be sent. */
  open?(ws: WebSocket<Data>): void | Promise<void>
  /** A complete message: text as a string, binary as a Buffer (the handler's to keep). */
  message?(ws: WebSocket<Data>, message: WebSocketMessage): void | Promise<void>
  /** Everything that was queued has been written (after a send returned 'queued'). */
  drain?(ws: WebSocket<Data>): void
  /** A ping from the peer (the pong is sent automatically). */
  ping?(ws: WebSocket<Data>, data: Buffer): void
  /** A pong from the peer. */
  pong?(ws: WebSocket<Data>, data: Buffer): void
  /**
   * The connection is closed (called once): the code and reason of the peer's close frame, or
   * of the one this side sent when it failed the connection (1002, 1007, 1009...), 1005 for a
   * close frame without a code, 1006 when the socket went away without one.
   */
  close?(ws: WebSocket<Data>, code: number, reason: string): void
  /**
   * A protocol failure by the peer (a WebSocketError with its `closeCode`), or an error thrown
   * by one of these handlers. The connection is closed after it. Without this handler, errors
   * thrown by handlers are logged with console.error; protocol failures are not logged.
   */
  error?(ws: WebSocket<Data>, error: Error): void
}

/** Heartbeat: a ping every `interval` ms to connections that sent nothing meanwhile. */
export interface HeartbeatOptions {
  /** Milliseconds between pings (default 30 s). A peer that has not answered by the next one is terminated. */
  interval?: number
}

export interface WebSocketRouteOptions<P extends Record<string, string> = Record<string, string>> {
  /** Subprotocols this endpoint speaks, in order of preference; the first the client also offers is chosen. */
  protocols?: readonly string[]
  /** Picks the subprotocol from the client's list (return undefined for none); overrides `protocols`. */
  selectProtocol?(offered: readonly string[], req: Request<P>): string | undefined
  /**
   * Allowed `Origin` values: a string, a list, a RegExp or a function; others are refused with
   * 403. Default: any origin (browsers send one; check it when cookies authenticate the socket).
   */
  origin?: string | readonly string[] | RegExp | ((origin: string | undefined, req: Request<P>) => boolean)
  /**
   * permessage-deflate: `true` for the defaults, an object to tune, `false` (the default) to
   * decline. See docs/websocket.md for the memory it costs per connection.
   */
  deflate?: boolean | (DeflateConfig & Omit<DeflateOptions, 'limiter'>)
  /** Largest message in bytes, after decompression (default 1 MiB); larger ones close with 1009. */
  maxPayload?: number
  /**
   * Most bytes waiting to be written (socket buffer and send queue) before a send is dropped
   * and the connection closed with 1008 (default 4 MiB). A single message larger than this is
   * still sent when nothing else is waiting.
   */
  maxBackpressure?: number
  /** Close a connection that received nothing (not even a pong) for this many ms (default 120 s; 0 disables). */
  idleTimeout?: number
  /** Automatic pings with dead-peer detection (default: every 30 s); `false` disables. */
  heartbeat?: boolean | number | HeartbeatOptions
  /** How long to wait for the peer's close frame (and the end of TCP) after ours (default 5 s). */
  closeTimeout?: number
}
