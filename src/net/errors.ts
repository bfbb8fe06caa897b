/**
 * Stable error codes for everything weft/net rejects with. Programs branch on these rather than
 * on errno strings, which differ across platforms (and on Windows are not errnos at all).
 */
export type NetErrorCode =
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_RESET'
  | 'TIMED_OUT'
  | 'ADDRESS_IN_USE'
  | 'ADDRESS_NOT_AVAILABLE'
  | 'PERMISSION_DENIED'
  | 'HOST_UNREACHABLE'
  | 'NETWORK_UNREACHABLE'
  | 'NOT_FOUND'
  | 'DNS_FAILED'
  | 'ABORTED'
  | 'UNEXPECTED_EOF'
  | 'CLOSED'
  | 'MESSAGE_TOO_LARGE'
  | 'TOO_MANY_OPEN_FILES'
  | 'TLS_HANDSHAKE_FAILED'
  | 'CERTIFICATE_INVALID'
  | 'UNSUPPORTED'
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN'

export interface NetErrorOptions {
  /** The underlying error (usually a Node system error). */
  cause?: unknown
  /** The platform's own code, e.g. 'ECONNREFUSED'. */
  syscallCode?: string
  /** The failing system call, e.g. 'connect'. */
  syscall?: string
  address?: string
  port?: number
}

/** The one error class of weft/net: a stable `code`, the system details kept alongside. */
export class NetError extends Error {
  readonly code: NetErrorCode
  readonly syscallCode: string | undefined
  readonly syscall: string | undefined
  readonly address: string | undefined
  readonly port: number | undefined

  constructor(code: NetErrorCode, message: string, options: NetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'NetError'
    this.code = code
    this.syscallCode = options.syscallCode
    this.syscall = options.syscall
    this.address = options.address
    this.port = options.port
  }
}

// errno (and Node's own ERR_*) → stable code. Several errnos fold into one code where a program
// would handle them the same way; the original stays on `syscallCode`.
const BY_SYSCALL_CODE: Record<string, NetErrorCode> = {
  ECONNREFUSED: 'CONNECTION_REFUSED',
  ECONNRESET: 'CONNECTION_RESET',
  EPIPE: 'CONNECTION_RESET',
  ECONNABORTED: 'CONNECTION_RESET',
  ETIMEDOUT: 'TIMED_OUT',
  EADDRINUSE: 'ADDRESS_IN_USE',
  EADDRNOTAVAIL: 'ADDRESS_NOT_AVAILABLE',
  EACCES: 'PERMISSION_DENIED',
  EPERM: 'PERMISSION_DENIED',
  EHOSTUNREACH: 'HOST_UNREACHABLE',
  EHOSTDOWN: 'HOST_UNREACHABLE',
  ENETUNREACH: 'NETWORK_UNREACHABLE',
  ENETDOWN: 'NETWORK_UNREACHABLE',
  ENOTFOUND: 'NOT_FOUND',
  EAI_NONAME: 'NOT_FOUND',
  EAI_NODATA: 'NOT_FOUND',
  ENOENT: 'NOT_FOUND', // a Unix socket path that does not exist
  EAI_AGAIN: 'DNS_FAILED',
  EAI_FAIL: 'DNS_FAILED',
  ABORT_ERR: 'ABORTED',
  EMSGSIZE: 'MESSAGE_TOO_LARGE',
  EMFILE: 'TOO_MANY_OPEN_FILES',
  ENFILE: 'TOO_MANY_OPEN_FILES',
  EBADF: 'CLOSED',
  ERR_SOCKET_CLOSED: 'CLOSED',
  ERR_SOCKET_DGRAM_NOT_RUNNING: 'CLOSED',
  ERR_STREAM_DESTROYED: 'CLOSED',
  ERR_STREAM_WRITE_AFTER_END: 'CLOSED',
  ERR_SOCKET_BAD_PORT: 'INVALID_ARGUMENT',
  ERR_INVALID_ARG_TYPE: 'INVALID_ARGUMENT',
  ERR_INVALID_ARG_VALUE: 'INVALID_ARGUMENT',
  ERR_INVALID_IP_ADDRESS: 'INVALID_ARGUMENT',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS_HANDSHAKE_FAILED',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'TLS_HANDSHAKE_FAILED',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'TLS_HANDSHAKE_FAILED',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'TLS_HANDSHAKE_FAILED',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'TLS_HANDSHAKE_FAILED',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'TLS_HANDSHAKE_FAILED',
  ERR_TLS_CERT_ALTNAME_INVALID: 'CERTIFICATE_INVALID',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'CERTIFICATE_INVALID',
  SELF_SIGNED_CERT_IN_CHAIN: 'CERTIFICATE_INVALID',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'CERTIFICATE_INVALID',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'CERTIFICATE_INVALID',
  CERT_HAS_EXPIRED: 'CERTIFICATE_INVALID',
  CERT_NOT_YET_VALID: 'CERTIFICATE_INVALID',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'CERTIFICATE_INVALID',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'CERTIFICATE_INVALID',
}

interface SystemErrorLike {
  code?: unknown
  syscall?: unknown
  address?: unknown
  port?: unknown
  message?: unknown
  name?: unknown
}

/** Wraps whatever Node threw in a NetError (a NetError passes through unchanged). */
export function toNetError(error: unknown, context?: string): NetError {
  if (error instanceof NetError) return error
  const e = (typeof error === 'object' && error !== null ? error : {}) as SystemErrorLike
  const raw = typeof e.code === 'string' ? e.code : e.name === 'AbortError' ? 'ABORT_ERR' : undefined
  let code: NetErrorCode = raw === undefined ? 'UNKNOWN' : BY_SYSCALL_CODE[raw] ?? 'UNKNOWN'
  // OpenSSL reports many handshake failures as ERR_SSL_* codes we do not list one by one.
  if (code === 'UNKNOWN' && raw !== undefined && raw.startsWith('ERR_SSL_')) code = 'TLS_HANDSHAKE_FAILED'
  const message = typeof e.message === 'string' ? e.message : String(error)
  return new NetError(code, context === undefined ? message : `${context}: ${message}`, {
    cause: error,
    syscallCode: raw,
    syscall: typeof e.syscall === 'string' ? e.syscall : undefined,
    address: typeof e.address === 'string' ? e.address : undefined,
    port: typeof e.port === 'number' ? e.port : undefined,
  })
}

/** Whether `error` is a NetError, optionally with the given code. */
export function isNetError(error: unknown, code?: NetErrorCode): error is NetError {
  return error instanceof NetError && (code === undefined || error.code === code)
}
