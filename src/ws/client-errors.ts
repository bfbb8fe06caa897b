// Errors of the WebSocket client.
import type { HeaderRecord } from './handshake.ts'

/**
 * The opening handshake failed: the server answered something other than a valid 101 (a status
 * such as 403 or 503, a redirect, a wrong Sec-WebSocket-Accept, a subprotocol or extension the
 * client did not offer), or did not answer within `handshakeTimeout`.
 */
export class WebSocketHandshakeError extends Error {
  /** The HTTP status of the answer (undefined for a timeout). */
  readonly status: number | undefined
  /** The answer's headers (lower-case names), when there was an answer. */
  readonly headers: HeaderRecord | undefined
  /**
   * Whether trying again may succeed: a timeout, 408, 429 and 5xx are (the default reconnection
   * policy retries them); other statuses, redirects and invalid 101 answers are not.
   */
  readonly retryable: boolean

  constructor(message: string, status?: number, headers?: HeaderRecord) {
    super(`WebSocket handshake failed: ${message}`)
    this.name = 'WebSocketHandshakeError'
    this.status = status
    this.headers = headers
    this.retryable = status === undefined || status === 408 || status === 429 || status >= 500
  }
}

/** A message sent while disconnected did not fit in the client's queue (`queue` option); it was dropped. */
export class WebSocketQueueFullError extends Error {
  /** The limits that were hit. */
  readonly maxMessages: number
  readonly maxBytes: number

  constructor(maxMessages: number, maxBytes: number) {
    super(`WebSocket send queue is full (limit ${maxMessages} messages / ${maxBytes} bytes while disconnected): message dropped`)
    this.name = 'WebSocketQueueFullError'
    this.maxMessages = maxMessages
    this.maxBytes = maxBytes
  }
}
