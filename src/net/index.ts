export { listen, Listener, LISTEN_DEFAULTS, type ListenOptions } from './listen.ts'
export { connect, CONNECT_TIMEOUT, type ConnectOptions } from './connect.ts'
export { Connection, CLOSE_TIMEOUT, type ConnectionOptions, type CloseOptions } from './connection.ts'
export { NetError, isNetError, toNetError, type NetErrorCode, type NetErrorOptions } from './errors.ts'
export { capabilities, supportsReusePort, type Capabilities, type EventLoopBackend } from './capabilities.ts'
export {
  SECURE_CIPHERS,
  DEFAULT_MIN_TLS_VERSION,
  DEFAULT_HANDSHAKE_TIMEOUT,
  type TlsServerOptions,
  type TlsClientOptions,
  type TlsCommonOptions,
  type TlsInfo,
  type TlsMaterial,
} from './tls.ts'
export { bind, UdpSocket, UDP_DEFAULTS, type BindOptions, type Datagram } from './udp.ts'
// `udp.bind(...)`, as in the design sketch; the named exports above are the same functions.
export * as udp from './udp.ts'
