// `weft/ws`: the WebSocket client (`connect()`), connections and their types (servers are
// declared with `app.ws()` from 'weft'), and the protocol core shared by the server and the client.
export { WebSocket, CONNECTING, OPEN, CLOSING, CLOSED } from './connection.ts'
export type { SendStatus, SendOptions, WebSocketData, WebSocketMessage, WebSocketHandlers, WebSocketRouteOptions, HeartbeatOptions } from './types.ts'
export { WS_DEFAULTS } from './route.ts'
export { connect, WebSocketClient } from './client.ts'
export { type ConnectOptions, type ClientEvents, type ReconnectInfo, CLIENT_DEFAULTS } from './client-options.ts'
export { type CloseInfo, type ReconnectOptions, type ReconnectTimers, RECONNECT_DEFAULTS, backoffDelay } from './backoff.ts'
export { type ClientTlsOptions } from './client-handshake.ts'
export { type QueueOptions, QUEUE_DEFAULTS } from './client-queue.ts'
export { WebSocketHandshakeError, WebSocketQueueFullError } from './client-errors.ts'
export { PubSub } from './pubsub.ts'
export { CloseCode, MAX_CLOSE_REASON, isValidCloseCode } from './close-codes.ts'
export { WebSocketError } from './errors.ts'
export { Opcode, MAX_CONTROL_PAYLOAD } from './opcodes.ts'
export { applyMask } from './mask.ts'
export { Utf8Validator, isValidUtf8 } from './utf8.ts'
export { FrameParser, DEFAULT_MAX_PAYLOAD, type FrameHandler, type FrameParserOptions, type Inflater } from './frame-parser.ts'
export { encodeFrame, encodeFrameParts, encodeMessage, encodeFragments, encodeControl, encodeClose, headerSize, COPY_LIMIT } from './frame-writer.ts'
export { type ExtensionOffer, isToken, headerValue, parseExtensions, formatExtensions, parseSubprotocols } from './extension-header.ts'
export {
  type DeflateConfig,
  type DeflateParams,
  EXTENSION_NAME,
  parseDeflateParams,
  validateDeflateConfig,
  acceptDeflateOffer,
  deflateOffer,
  acceptDeflateResponse,
} from './deflate-negotiation.ts'
export { PerMessageDeflate, DEFAULT_THRESHOLD, deflateMessage, type DeflateOptions, type ZlibCallback } from './permessage-deflate.ts'
export { ZlibLimiter, zlibLimiter, DEFAULT_ZLIB_CONCURRENCY } from './zlib-limiter.ts'
export {
  WS_GUID,
  type HeaderRecord,
  type UpgradeRequestCheck,
  type UpgradeResponseCheck,
  acceptKey,
  generateKey,
  hasToken,
  checkUpgradeRequest,
  upgradeResponseHead,
  checkUpgradeResponse,
} from './handshake.ts'
