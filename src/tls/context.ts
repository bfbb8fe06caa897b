import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls'
import { TlsConfigError } from './errors.ts'
import { loadCertificate, type CertificateConfig, type LoadedCertificate, type NodeMaterial } from './material.ts'
import type { ResolvedPolicy } from './policy.ts'

/** What every secure context of one server shares, whichever certificate it carries. */
export interface ContextSettings {
  readonly policy: ResolvedPolicy
  /** CAs trusted for client certificates (mutual TLS). */
  readonly ca?: NodeMaterial
  /**
   * Resumption is only allowed within one session-id context. Every context of a server (the
   * default and each SNI one) gets the same one, or sessions would not resume after an SNI
   * switch, and OpenSSL refuses to resume at all when client certificates are verified and
   * the context is unset.
   */
  readonly sessionIdContext: string
  /** Seconds a session (ticket) stays valid. */
  readonly sessionTimeout: number
}

/** node:tls secure-context options for one certificate under the shared settings. */
export function contextOptions(cert: LoadedCertificate, settings: ContextSettings): SecureContextOptions {
  const { policy } = settings
  const out: SecureContextOptions = {
    minVersion: policy.minVersion,
    ciphers: policy.ciphers,
    honorCipherOrder: policy.honorCipherOrder,
    sessionIdContext: settings.sessionIdContext,
    sessionTimeout: settings.sessionTimeout,
  }
  if (policy.maxVersion !== undefined) out.maxVersion = policy.maxVersion
  if (policy.ecdhCurve !== undefined) out.ecdhCurve = policy.ecdhCurve
  if (settings.ca !== undefined) out.ca = settings.ca
  if (cert.cert !== undefined) out.cert = cert.cert
  if (cert.key !== undefined) out.key = cert.key
  if (cert.pfx !== undefined) out.pfx = cert.pfx
  if (cert.passphrase !== undefined) out.passphrase = cert.passphrase
  return out
}

/** Turns OpenSSL's messages into errors that say which option is wrong. */
export function contextError(error: unknown, what: string, cert: LoadedCertificate): TlsConfigError {
  const message = (error as Error).message ?? String(error)
  if (cert.pfx !== undefined && /mac verify|bad decrypt|passphrase|password/i.test(message)) {
    return new TlsConfigError('PASSPHRASE', `${what}.pfx`, cert.passphrase === undefined ? 'the PFX is encrypted: give its `passphrase`' : 'wrong passphrase for the PFX', { cause: error })
  }
  if (cert.pfx !== undefined && /pkcs12|pfx|asn1|header|decod/i.test(message)) {
    return new TlsConfigError('INVALID_CERTIFICATE', `${what}.pfx`, `not a PKCS#12 bundle (${message})`, { cause: error })
  }
  if (/cipher/i.test(message)) return new TlsConfigError('INVALID_OPTION', 'tls.ciphers', `no usable cipher in the list (${message})`, { cause: error })
  if (/curve|group/i.test(message)) return new TlsConfigError('INVALID_OPTION', 'tls.ecdhCurve', `unknown or unusable curve (${message})`, { cause: error })
  if (/mismatch/i.test(message)) return new TlsConfigError('KEY_MISMATCH', `${what}.key`, `the key does not belong to the certificate (${message})`, { cause: error })
  return new TlsConfigError('INVALID_OPTION', what, message, { cause: error })
}

/** Loads, checks and builds a secure context for a certificate config. */
export function buildContext(config: CertificateConfig, settings: ContextSettings, what: string): { loaded: LoadedCertificate; context: SecureContext } {
  const loaded = loadCertificate(config, what)
  try {
    return { loaded, context: createSecureContext(contextOptions(loaded, settings)) }
  } catch (error) {
    throw contextError(error, what, loaded)
  }
}
