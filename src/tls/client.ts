import { createSecureContext, type ConnectionOptions, type SecureContext, type SecureContextOptions } from 'node:tls'
import { isIP } from 'node:net'
import { loadCertificate, readMaterial, asBuffer, type CertificateConfig, type TlsMaterial } from './material.ts'
import { resolvePolicy, type TlsPolicyOptions } from './policy.ts'
import { contextError } from './context.ts'
import { TlsConfigError } from './errors.ts'

/** TLS for clients: weft/net's connect({ tls }) and, later, the HTTP client. */
export interface TlsClientOptions extends TlsPolicyOptions, CertificateConfig {
  /** CAs to trust instead of Node's bundled roots: PEM text, bytes or file paths. */
  ca?: TlsMaterial
  /** SNI and the name the certificate must carry (default: the host connected to, unless an IP). */
  servername?: string
  /** Verify the server's certificate (default true; false only for tests). */
  rejectUnauthorized?: boolean
  /** ALPN protocols in order of preference, e.g. ['h2', 'http/1.1']. */
  alpn?: string[]
  /** A session from an earlier connection (`socket.getSession()` or the 'session' event), to resume. */
  session?: Uint8Array
  /** Ask the server for a stapled OCSP response (delivered in the socket's 'OCSPResponse' event). */
  requestOCSP?: boolean
  // `cert` + `key` (or `pfx`) from CertificateConfig: a client certificate for mutual TLS.
}

/** tls.connect() options; `requestOCSP` is honoured by connect() but only typed on TLSSocket. */
export type ClientConnectOptions = ConnectionOptions & { requestOCSP?: boolean }

// Building a context parses the CA bundle and the key, which costs far more than the handshake's
// own work on a fast network; options objects reused across connections build it once.
const contexts = new WeakMap<TlsClientOptions, SecureContext>()

/** The secure context for client options: policy, CAs and client certificate, checked now. */
export function clientSecureContext(options: TlsClientOptions): SecureContext {
  const cached = contexts.get(options)
  if (cached !== undefined) return cached
  const policy = resolvePolicy(options, 'tls')
  const settings: SecureContextOptions = { minVersion: policy.minVersion, ciphers: policy.ciphers }
  if (policy.maxVersion !== undefined) settings.maxVersion = policy.maxVersion
  if (policy.ecdhCurve !== undefined) settings.ecdhCurve = policy.ecdhCurve
  if (options.ca !== undefined) settings.ca = readMaterial(options.ca, 'tls.ca')
  const hasCert = options.cert !== undefined || options.key !== undefined || options.pfx !== undefined
  const loaded = hasCert ? loadCertificate(options, 'tls') : null
  if (loaded !== null) {
    if (loaded.cert !== undefined) settings.cert = loaded.cert
    if (loaded.key !== undefined) settings.key = loaded.key
    if (loaded.pfx !== undefined) settings.pfx = loaded.pfx
    if (loaded.passphrase !== undefined) settings.passphrase = loaded.passphrase
  }
  let context: SecureContext
  try {
    context = createSecureContext(settings)
  } catch (error) {
    throw loaded !== null ? contextError(error, 'tls', loaded) : new TlsConfigError('INVALID_OPTION', 'tls', (error as Error).message, { cause: error })
  }
  contexts.set(options, context)
  return context
}

/**
 * node:tls connect options for weft's client options and the host being dialled. Throws a
 * TlsConfigError for unreadable or mismatched material before any connection is attempted.
 */
export function createTlsClientOptions(options: TlsClientOptions, host?: string): ClientConnectOptions {
  const out: ClientConnectOptions = {
    secureContext: clientSecureContext(options),
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  }
  if (options.alpn !== undefined) out.ALPNProtocols = options.alpn
  if (options.session !== undefined) out.session = asBuffer(options.session)
  if (options.requestOCSP === true) out.requestOCSP = true
  // SNI must be a host name, never an IP literal (RFC 6066 §3).
  const servername = options.servername ?? (host !== undefined && isIP(host) === 0 ? host : undefined)
  if (servername !== undefined) out.servername = servername
  return out
}
