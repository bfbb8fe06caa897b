import { TLSSocket, type ConnectionOptions as NodeTlsConnectOptions, type TlsOptions as NodeTlsServerOptions, type SecureVersion } from 'node:tls'
import type { Socket } from 'node:net'

/** PEM text or DER/PEM bytes, or several of them. */
export type TlsMaterial = string | Uint8Array | Array<string | Uint8Array>

/** Settings both sides share. Omitted ones take the secure defaults below. */
export interface TlsCommonOptions {
  /** Lowest protocol version accepted (default 'TLSv1.2'). */
  minVersion?: SecureVersion
  /** Highest protocol version offered (default: the highest the running Node supports). */
  maxVersion?: SecureVersion
  /** OpenSSL cipher list (default: forward-secret AEAD suites only, see SECURE_CIPHERS). */
  ciphers?: string
  /** ALPN protocols in order of preference, e.g. ['h2', 'http/1.1']. */
  alpn?: string[]
  /** Extra trusted CA certificates (replaces Node's bundled roots when given). */
  ca?: TlsMaterial
  /** PKCS#12 bundle instead of cert/key, with `passphrase`. */
  pfx?: Uint8Array | string
  /** Passphrase for an encrypted key or the PFX. */
  passphrase?: string
}

export interface TlsServerOptions extends TlsCommonOptions {
  /** Certificate chain (PEM), unless `pfx` is given. */
  cert?: TlsMaterial
  /** Private key (PEM), unless `pfx` is given. */
  key?: TlsMaterial
  /** Ask clients for a certificate (default false). */
  requestCert?: boolean
  /** With requestCert: refuse clients without a valid one (default true when requestCert). */
  rejectUnauthorized?: boolean
  /** How long the handshake may take before the socket is dropped (default 10 000 ms). */
  handshakeTimeout?: number
}

export interface TlsClientOptions extends TlsCommonOptions {
  /** SNI and certificate host name (default: the `host` connected to, unless an IP). */
  servername?: string
  /** Verify the server certificate (default true; false only for tests). */
  rejectUnauthorized?: boolean
  /** Client certificate and key for mutual TLS. */
  cert?: TlsMaterial
  key?: TlsMaterial
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

export const DEFAULT_MIN_TLS_VERSION: SecureVersion = 'TLSv1.2'

/**
 * Forward-secret AEAD suites only (ECDHE key exchange; no static RSA, CBC or SHA-1). The TLS 1.3
 * suites are named too: Node treats a cipher string without any `TLS_` entry as disabling 1.3.
 */
export const SECURE_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':')

export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000

// node:tls types want Buffer | string; a Uint8Array is accepted at run time but not by the types.
type NodeMaterial = string | Buffer | Array<string | Buffer>
function material(value: TlsMaterial | undefined): NodeMaterial | undefined {
  if (value === undefined || typeof value === 'string') return value
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : asBuffer(v)))
  return asBuffer(value)
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function common(options: TlsCommonOptions): NodeTlsServerOptions & NodeTlsConnectOptions {
  const out: NodeTlsServerOptions & NodeTlsConnectOptions = {
    minVersion: options.minVersion ?? DEFAULT_MIN_TLS_VERSION,
    ciphers: options.ciphers ?? SECURE_CIPHERS,
    honorCipherOrder: true,
  }
  if (options.maxVersion !== undefined) out.maxVersion = options.maxVersion
  if (options.alpn !== undefined) out.ALPNProtocols = options.alpn
  if (options.ca !== undefined) out.ca = material(options.ca)
  if (options.pfx !== undefined) out.pfx = typeof options.pfx === 'string' ? options.pfx : asBuffer(options.pfx)
  if (options.passphrase !== undefined) out.passphrase = options.passphrase
  return out
}

/** node:tls server options from weft's, with the secure defaults filled in. */
export function nodeTlsServerOptions(options: TlsServerOptions): NodeTlsServerOptions {
  const out: NodeTlsServerOptions = common(options)
  if (options.cert !== undefined) out.cert = material(options.cert)
  if (options.key !== undefined) out.key = material(options.key)
  out.requestCert = options.requestCert ?? false
  out.rejectUnauthorized = options.rejectUnauthorized ?? out.requestCert
  out.handshakeTimeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT
  return out
}

/** node:tls client options from weft's, with the secure defaults filled in. */
export function nodeTlsClientOptions(options: TlsClientOptions, host: string | undefined): NodeTlsConnectOptions {
  const out: NodeTlsConnectOptions = common(options)
  out.rejectUnauthorized = options.rejectUnauthorized ?? true
  if (options.cert !== undefined) out.cert = material(options.cert)
  if (options.key !== undefined) out.key = material(options.key)
  // SNI must be a host name, never an IP literal (RFC 6066 §3).
  const servername = options.servername ?? (host !== undefined && !isIp(host) ? host : undefined)
  if (servername !== undefined) out.servername = servername
  return out
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':')
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
