import type { SecureVersion } from 'node:tls'
import { TlsConfigError } from './errors.ts'

/**
 * Named protocol policies, after Mozilla's server-side TLS guidance (the cipher lists are weft's
 * own, written out below):
 * - `intermediate` (the default): TLS 1.2 and 1.3, forward-secret AEAD suites only.
 * - `modern`: TLS 1.3 only. Every TLS 1.3 suite is forward-secret and AEAD.
 */
export type TlsPolicyName = 'modern' | 'intermediate'

/** Protocol settings; each one given overrides what the policy says. */
export interface TlsPolicyOptions {
  /** Default 'intermediate'. */
  policy?: TlsPolicyName
  /** Lowest version accepted ('intermediate': TLSv1.2, 'modern': TLSv1.3). */
  minVersion?: SecureVersion
  /** Highest version offered (default: the highest the running Node supports). */
  maxVersion?: SecureVersion
  /** OpenSSL cipher list; TLS 1.3 suites are the `TLS_*` entries. Taken as given: you own it. */
  ciphers?: string
  /** Key-exchange groups, e.g. 'X25519:P-256' (default: OpenSSL's, all of them forward-secret). */
  ecdhCurve?: string
  /** Server: prefer its own cipher order over the client's (default false, see below). */
  honorCipherOrder?: boolean
}

/** The TLS 1.3 suites (always forward-secret: 1.3 has no static key exchange). */
export const TLS13_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const

/** TLS 1.2 suites with ephemeral ECDH key exchange and an AEAD cipher: no static RSA, CBC or SHA-1. */
export const TLS12_FS_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const

/**
 * The `intermediate` cipher list. The TLS 1.3 suites are named too: Node reads a cipher string
 * without any `TLS_` entry as "no TLS 1.3".
 */
export const SECURE_CIPHERS = [...TLS13_CIPHERS, ...TLS12_FS_CIPHERS].join(':')

export const MODERN_CIPHERS = TLS13_CIPHERS.join(':')

export const DEFAULT_MIN_TLS_VERSION: SecureVersion = 'TLSv1.2'

/** What node:tls gets: every field set, so a later setSecureContext() never falls back to Node's defaults. */
export interface ResolvedPolicy {
  readonly minVersion: SecureVersion
  readonly maxVersion?: SecureVersion
  readonly ciphers: string
  readonly ecdhCurve?: string
  // With only strong suites on the list, the client knows best which is fast on its hardware
  // (ChaCha20 where there is no AES instruction set), hence false unless overridden.
  readonly honorCipherOrder: boolean
}

const POLICIES: Record<TlsPolicyName, { minVersion: SecureVersion; ciphers: string }> = {
  intermediate: { minVersion: DEFAULT_MIN_TLS_VERSION, ciphers: SECURE_CIPHERS },
  modern: { minVersion: 'TLSv1.3', ciphers: MODERN_CIPHERS },
}

const ORDER: Record<SecureVersion, number> = { TLSv1: 1, 'TLSv1.1': 2, 'TLSv1.2': 3, 'TLSv1.3': 4 }

/** The policy's settings with the explicit overrides applied; checks that they can work together. */
export function resolvePolicy(options: TlsPolicyOptions, what = 'tls'): ResolvedPolicy {
  const name = options.policy ?? 'intermediate'
  const base = POLICIES[name]
  if (base === undefined) throw new TlsConfigError('INVALID_OPTION', `${what}.policy`, `unknown policy "${String(name)}" (use 'modern' or 'intermediate')`)
  const minVersion = options.minVersion ?? base.minVersion
  for (const [field, version] of [['minVersion', minVersion], ['maxVersion', options.maxVersion]] as const) {
    if (version !== undefined && ORDER[version] === undefined) {
      throw new TlsConfigError('INVALID_OPTION', `${what}.${field}`, `unknown TLS version "${String(version)}" (TLSv1.2 or TLSv1.3)`)
    }
  }
  if (options.maxVersion !== undefined && ORDER[options.maxVersion] < ORDER[minVersion]) {
    throw new TlsConfigError('INVALID_OPTION', `${what}.maxVersion`, `${options.maxVersion} is below minVersion ${minVersion}`)
  }
  const out: { -readonly [K in keyof ResolvedPolicy]: ResolvedPolicy[K] } = {
    minVersion,
    ciphers: options.ciphers ?? base.ciphers,
    honorCipherOrder: options.honorCipherOrder ?? false,
  }
  if (options.maxVersion !== undefined) out.maxVersion = options.maxVersion
  if (options.ecdhCurve !== undefined) out.ecdhCurve = options.ecdhCurve
  return out
}
