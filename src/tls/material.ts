import { readFileSync } from 'node:fs'
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { TlsConfigError } from './errors.ts'

/**
 * One certificate, key or bundle: PEM text (a string containing `-----BEGIN`), a file path (any
 * other string), or bytes (PEM or DER; a PFX is always bytes or a path).
 */
export type TlsSource = string | Uint8Array

/** One source, or several (a certificate per key type, several CA bundles, ...). */
export type TlsMaterial = TlsSource | readonly TlsSource[]

/** A certificate and its key: `cert` + `key` (with `passphrase` if encrypted), or a `pfx`. */
export interface CertificateConfig {
  /** Certificate chain, leaf first. Several entries: one chain per key (e.g. RSA and ECDSA). */
  cert?: TlsMaterial
  /** Private key(s), in the order of `cert`. */
  key?: TlsMaterial
  /** PKCS#12 bundle (certificate, key and chain) instead of cert and key. */
  pfx?: TlsSource
  /** Passphrase of an encrypted key or of the PFX. */
  passphrase?: string
}

/** What node:tls takes for cert, key, ca. */
export type NodeMaterial = string | Buffer | Array<string | Buffer>

/** A validated certificate config, ready for tls.createSecureContext(). */
export interface LoadedCertificate {
  readonly cert?: NodeMaterial
  readonly key?: NodeMaterial
  readonly pfx?: Buffer
  readonly passphrase?: string
  /** The leaf certificates (first of each chain); empty for a PFX, which Node parses itself. */
  readonly leaves: readonly X509Certificate[]
}

const PEM = '-----BEGIN'

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Reads one source: PEM text stays text, a path is read, bytes become a Buffer. */
export function readSource(source: TlsSource, what: string): { value: string | Buffer; label: string } {
  if (typeof source !== 'string') return { value: asBuffer(source), label: what }
  if (source.includes(PEM)) return { value: source, label: what }
  if (source.trim() === '') throw new TlsConfigError('UNREADABLE', what, 'empty: give PEM text, bytes or a file path')
  try {
    return { value: readFileSync(source), label: `${what} (${source})` }
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new TlsConfigError('UNREADABLE', `${what} (${source})`, `cannot read the file (${reason})`, { cause: error })
  }
}

function list(material: TlsMaterial): readonly TlsSource[] {
  return typeof material === 'string' || material instanceof Uint8Array ? [material] : material
}

/** Reads every source of a material; `ca` bundles and the like. */
export function readMaterial(material: TlsMaterial, what: string): NodeMaterial {
  const all = list(material).map((s, i, a) => readSource(s, a.length > 1 ? `${what}[${i}]` : what).value)
  return all.length === 1 ? all[0]! : all
}

function parseCertificate(value: string | Buffer, label: string): X509Certificate {
  try {
    return new X509Certificate(value)
  } catch (error) {
    throw new TlsConfigError('INVALID_CERTIFICATE', label, `not a PEM or DER certificate (${(error as Error).message})`, { cause: error })
  }
}

function parseKey(value: string | Buffer, passphrase: string | undefined, label: string): KeyObject {
  const isPem = typeof value === 'string' || value.includes(PEM)
  // PKCS#8 says ENCRYPTED PRIVATE KEY; the traditional formats carry a Proc-Type header. OpenSSL's
  // own errors for a missing passphrase vary by version ("interrupted or cancelled", ...).
  const encrypted = isPem && /ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(value.toString('latin1'))
  if (encrypted && passphrase === undefined) throw new TlsConfigError('PASSPHRASE', label, 'the key is encrypted: give its `passphrase`')
  // DER keys carry no label saying which structure they are, so try the usual ones in turn.
  const attempts: Array<Parameters<typeof createPrivateKey>[0]> = isPem
    ? [{ key: value, format: 'pem', passphrase }]
    : (['pkcs8', 'sec1', 'pkcs1'] as const).map((type) => ({ key: asBuffer(value as Buffer), format: 'der' as const, type, passphrase }))
  let last: unknown
  for (const attempt of attempts) {
    try {
      return createPrivateKey(attempt)
    } catch (error) {
      last = error
      if (encrypted || (error as NodeJS.ErrnoException).code === 'ERR_OSSL_BAD_DECRYPT') {
        throw new TlsConfigError('PASSPHRASE', label, 'wrong passphrase for the encrypted key', { cause: error })
      }
      if ((error as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE') {
        throw new TlsConfigError('PASSPHRASE', label, 'the key is encrypted: give its `passphrase`', { cause: error })
      }
    }
  }
  throw new TlsConfigError('INVALID_KEY', label, `not a PEM or DER private key (${(last as Error).message})`, { cause: last })
}

/**
 * Reads and checks a certificate config: files exist, certificates and keys parse, encrypted
 * keys open with the passphrase, and each key belongs to its certificate. All of it now, so a
 * bad configuration fails when it is given and never at some client's first handshake.
 */
export function loadCertificate(config: CertificateConfig, what: string): LoadedCertificate {
  if (config.pfx !== undefined) {
    if (config.cert !== undefined || config.key !== undefined) {
      throw new TlsConfigError('INVALID_OPTION', what, 'give either `pfx` or `cert` and `key`, not both')
    }
    const { value } = readSource(config.pfx, `${what}.pfx`)
    // A PFX is binary; PEM text here is a cert/key mix-up.
    if (typeof value === 'string') throw new TlsConfigError('INVALID_CERTIFICATE', `${what}.pfx`, 'expected a PKCS#12 (binary) file or bytes, got PEM text')
    return config.passphrase === undefined ? { pfx: value, leaves: [] } : { pfx: value, passphrase: config.passphrase, leaves: [] }
  }
  if (config.cert === undefined || config.key === undefined) {
    throw new TlsConfigError('INVALID_OPTION', what, config.cert === undefined ? 'missing `cert` (or `pfx`)' : 'missing `key` for `cert`')
  }
  const certs = list(config.cert).map((s, i, a) => readSource(s, a.length > 1 ? `${what}.cert[${i}]` : `${what}.cert`))
  const keys = list(config.key).map((s, i, a) => readSource(s, a.length > 1 ? `${what}.key[${i}]` : `${what}.key`))
  if (certs.length !== keys.length) {
    throw new TlsConfigError('INVALID_OPTION', what, `${certs.length} certificate(s) but ${keys.length} key(s): give one key per certificate chain`)
  }
  const leaves = certs.map((c) => parseCertificate(c.value, c.label))
  for (const [i, k] of keys.entries()) {
    const key = parseKey(k.value, config.passphrase, k.label)
    const leaf = leaves[i]!
    if (!leaf.checkPrivateKey(key)) {
      throw new TlsConfigError('KEY_MISMATCH', k.label, `this key does not belong to the certificate ${certs[i]!.label} (subject ${leaf.subject.replace(/\n/g, ', ')})`)
    }
  }
  const pick = (items: Array<{ value: string | Buffer }>): NodeMaterial => (items.length === 1 ? items[0]!.value : items.map((x) => x.value))
  const out: { cert: NodeMaterial; key: NodeMaterial; passphrase?: string; leaves: X509Certificate[] } = { cert: pick(certs), key: pick(keys), leaves }
  if (config.passphrase !== undefined) out.passphrase = config.passphrase
  return out
}
