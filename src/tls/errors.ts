/** What went wrong with a TLS configuration. */
export type TlsConfigErrorCode =
  | 'UNREADABLE' // a file could not be read
  | 'INVALID_CERTIFICATE' // not a PEM/DER certificate
  | 'INVALID_KEY' // not a private key
  | 'PASSPHRASE' // the key or PFX is encrypted and the passphrase is missing or wrong
  | 'KEY_MISMATCH' // the key does not belong to the certificate
  | 'INVALID_OPTION' // an option out of range or contradictory

/**
 * A TLS configuration that cannot work, found when the configuration is built (never at the
 * first handshake). `source` names what was wrong: a file path or the option (`cert`,
 * `sni["a.example.com"].key`, ...).
 */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError'
  readonly code: TlsConfigErrorCode
  readonly source: string

  constructor(code: TlsConfigErrorCode, source: string, message: string, options?: { cause?: unknown }) {
    super(`${source}: ${message}`, options)
    this.code = code
    this.source = source
  }
}

export function isTlsConfigError(error: unknown, code?: TlsConfigErrorCode): error is TlsConfigError {
  return error instanceof TlsConfigError && (code === undefined || error.code === code)
}
