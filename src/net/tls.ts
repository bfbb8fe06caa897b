// weft/net's TLS: the same configuration as weft/tls (src/tls/), so a listener and an HTTPS
// server take identical `tls` options. This file adapts it to sockets: option conversion,
// errors as NetError, and what a connection reports about its handshake.
import { TLSSocket, type ConnectionOptions as NodeTlsConnectOptions } from 'node:tls'
import type { Socket } from 'node:net'
import {
  TlsServerConfig,
  createTlsClientOptions,
  isTlsConfigError,
  type TlsServerOptions,
  type TlsClientOptions,
  type TlsPolicyOptions,
  type TlsMaterial,
} from '../tls/index.ts'
import { NetError } from './errors.ts'

export type { TlsServerOptions, TlsClientOptions, TlsMaterial }
export { SECURE_CIPHERS, DEFAULT_MIN_TLS_VERSION } from '../tls/policy.ts'
export { DEFAULT_HANDSHAKE_TIMEOUT } from '../tls/server.ts'

/** Settings both sides share. */
export interface TlsCommonOptions extends TlsPolicyOptions {
  alpn?: string[]
  ca?: TlsMaterial
  pfx?: string | Uint8Array
  passphrase?: string
}

/** What a TLS connection negotiated. */
export interface TlsInfo {
  /** 'TLSv1.3', 'TLSv1.2', ... */
  readonly protocol: string | null
  /** The ALPN protocol agreed on, or null. */
  readonly alpnProtocol: string | null
  /** Whether the peer's certificate verified against the trusted CAs. */
  readonly authorized: boolean
  readonly authorizationError: string | null
  /** SNI name: the one sent (client) or received (server). */
  readonly servername: string | null
  readonly cipher: string | null
}

/** A TLS configuration mistake (unreadable file, key not matching, ...) as weft/net reports it. */
function configError(error: unknown, where: string): unknown {
  return isTlsConfigError(error) ? new NetError('INVALID_ARGUMENT', `${where}: ${error.message}`, { cause: error }) : error
}

/**
 * The server config for listen({ tls }): a TlsServerConfig is used as given (its owner reloads
 * and closes it); plain options get a config of their own, closed with the listener.
 */
export function serverTlsConfig(tls: TlsServerOptions | TlsServerConfig): { config: TlsServerConfig; owned: boolean } {
  if (tls instanceof TlsServerConfig) return { config: tls, owned: false }
  try {
    return { config: new TlsServerConfig(tls), owned: true }
  } catch (error) {
    throw configError(error, 'listen()')
  }
}

/** node:tls client options from weft's, with the secure defaults filled in. */
export function nodeTlsClientOptions(options: TlsClientOptions, host: string | undefined): NodeTlsConnectOptions {
  try {
    return createTlsClientOptions(options, host)
  } catch (error) {
    throw configError(error, 'connect()')
  }
}

/** TLS details of a socket, or null when it is not a TLS socket. */
export function tlsInfo(socket: Socket): TlsInfo | null {
  if (!(socket instanceof TLSSocket)) return null
  const alpn = socket.alpnProtocol
  const servername = (socket as TLSSocket & { servername?: string | false }).servername
  const error = socket.authorizationError as Error | string | null | undefined
  return {
    protocol: socket.getProtocol(),
    alpnProtocol: typeof alpn === 'string' ? alpn : null,
    authorized: socket.authorized,
    authorizationError: error === null || error === undefined ? null : typeof error === 'string' ? error : error.message,
    servername: typeof servername === 'string' ? servername : null,
    cipher: socket.getCipher()?.name ?? null,
  }
}
