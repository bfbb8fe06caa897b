import type { SecureContext } from 'node:tls'
import { TlsConfigError } from './errors.ts'
import type { CertificateConfig } from './material.ts'
import { buildContext, type ContextSettings } from './context.ts'
import type { LoadedCertificate } from './material.ts'
import type { X509Certificate } from 'node:crypto'

/**
 * Host name → certificate. `*.example.com` matches exactly one label (`a.example.com`, not
 * `example.com` nor `a.b.example.com`), as certificate wildcards do (RFC 6125 §6.4.3). An exact
 * name wins over a wildcard.
 */
export type SniMap = Readonly<Record<string, CertificateConfig>> | ReadonlyMap<string, CertificateConfig>

/**
 * Picks the certificate for a server name; null or undefined: the default certificate. A thrown
 * error or rejection fails that handshake. Results are cached per name (see `sniCache`).
 */
export type SniCallback = (servername: string) => CertificateConfig | null | undefined | Promise<CertificateConfig | null | undefined>

export interface SniCacheOptions {
  /** How long a callback's answer for a name is reused, in ms (default 1 hour). */
  ttl?: number
  /** Names remembered at most; the oldest is forgotten first (default 1000). */
  max?: number
}

export const SNI_CACHE_DEFAULTS = { ttl: 3_600_000, max: 1000 } as const

type Done = (error: Error | null, context?: SecureContext) => void

/** The key types of a certificate's chains ('ec', 'rsa', ...), sorted; null when unknown (PFX). */
export function keyTypes(leaves: readonly X509Certificate[]): string | null {
  if (leaves.length === 0) return null
  return [...new Set(leaves.map((l) => l.publicKey.asymmetricKeyType ?? '?'))].sort().join('+')
}

/**
 * Node applies an SNI context by adding its certificate to the connection next to the default
 * one, and OpenSSL picks between them by key type: with an ECDSA default and an RSA SNI
 * certificate, an ECDSA-capable client gets the default (Node 20; nodejs/node#54235). Rather
 * than serve the wrong certificate depending on the client and the Node version, such a pair
 * is refused.
 */
function checkKeyTypes(defaultTypes: string | null, loaded: LoadedCertificate, what: string): void {
  const types = keyTypes(loaded.leaves)
  if (defaultTypes === null || types === null || types === defaultTypes) return
  throw new TlsConfigError(
    'INVALID_OPTION',
    what,
    `its key type (${types}) differs from the default certificate's (${defaultTypes}); node:tls may then serve the default certificate for this name. Use one key type for all, or give no default certificate`,
  )
}

/** Lower case, without the trailing dot of a fully qualified name. */
export function normalizeHost(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}

/** The wildcard key that could match `host`: `a.example.com` → `*.example.com`. */
function wildcardOf(host: string): string | null {
  const dot = host.indexOf('.')
  return dot <= 0 ? null : `*${host.slice(dot)}`
}

/** A host name or wildcard as a map key; throws on what no certificate could mean. */
function checkKey(name: string): string {
  const host = normalizeHost(name)
  const star = host.indexOf('*')
  const valid = /^[a-z0-9*_.-]+$/.test(host) && !host.includes('..') && (star === -1 || (star === 0 && host.startsWith('*.') && host.indexOf('*', 1) === -1 && host.length > 2))
  if (!valid) throw new TlsConfigError('INVALID_OPTION', `tls.sni["${name}"]`, 'not a host name; a wildcard is `*.` followed by a name, and covers exactly one label')
  return host
}

/**
 * Finds the secure context for a TLS server name. A map is built in full up front (so every
 * certificate is checked when the configuration is given); a callback's answers are built once
 * per name and cached.
 */
export class SniResolver {
  readonly #contexts = new Map<string, SecureContext>()
  readonly #callback: SniCallback | null
  readonly #settings: ContextSettings
  readonly #ttl: number
  readonly #max: number
  readonly #now: () => number
  // Callback answers, by name; insertion order is age, so the first key is the oldest.
  readonly #cache = new Map<string, { context: SecureContext | undefined; expires: number }>()
  // The same config object returned for many names is built once.
  #built = new WeakMap<CertificateConfig, SecureContext>()
  readonly #inflight = new Map<string, Promise<SecureContext | undefined>>()
  readonly #defaultTypes: string | null

  /** `defaultTypes`: keyTypes() of the default certificate, null when there is none or it is a PFX. */
  constructor(sni: SniMap | SniCallback, settings: ContextSettings, defaultTypes: string | null, cache: SniCacheOptions = {}, now: () => number = Date.now) {
    this.#settings = settings
    this.#defaultTypes = defaultTypes
    this.#ttl = cache.ttl ?? SNI_CACHE_DEFAULTS.ttl
    this.#max = cache.max ?? SNI_CACHE_DEFAULTS.max
    this.#now = now
    if (typeof sni === 'function') {
      this.#callback = sni
      return
    }
    this.#callback = null
    const entries = sni instanceof Map ? [...(sni as ReadonlyMap<string, CertificateConfig>).entries()] : Object.entries(sni as Record<string, CertificateConfig>)
    for (const [name, config] of entries) {
      const key = checkKey(name)
      if (this.#contexts.has(key)) throw new TlsConfigError('INVALID_OPTION', `tls.sni["${name}"]`, 'this name is given twice')
      this.#contexts.set(key, this.#build(config, `tls.sni["${name}"]`))
    }
  }

  /** The names (and wildcards) of a map, normalized. */
  get names(): string[] {
    return [...this.#contexts.keys()]
  }

  /** The context for a name from the map, or undefined (default certificate). */
  lookup(servername: string): SecureContext | undefined {
    const host = normalizeHost(servername)
    const exact = this.#contexts.get(host)
    if (exact !== undefined) return exact
    const wildcard = wildcardOf(host)
    return wildcard === null ? undefined : this.#contexts.get(wildcard)
  }

  /** node:tls's SNICallback. */
  readonly SNICallback = (servername: string, done: Done): void => {
    if (this.#callback === null) {
      done(null, this.lookup(servername))
      return
    }
    const host = normalizeHost(servername)
    const hit = this.#cache.get(host)
    if (hit !== undefined && hit.expires > this.#now()) {
      done(null, hit.context)
      return
    }
    this.resolve(host).then(
      (context) => done(null, context),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    )
  }

  /** Asks the callback (once per name at a time) and caches the built context. */
  resolve(host: string): Promise<SecureContext | undefined> {
    const pending = this.#inflight.get(host)
    if (pending !== undefined) return pending
    const callback = this.#callback!
    const run = (async () => {
      const config = await callback(host)
      let context: SecureContext | undefined
      if (config !== null && config !== undefined) {
        context = this.#built.get(config)
        if (context === undefined) {
          context = this.#build(config, `tls.sni("${host}")`)
          this.#built.set(config, context)
        }
      }
      this.#cache.delete(host)
      if (this.#cache.size >= this.#max) this.#cache.delete(this.#cache.keys().next().value!)
      this.#cache.set(host, { context, expires: this.#now() + this.#ttl })
      return context
    })()
    this.#inflight.set(host, run)
    const clear = (): void => void this.#inflight.delete(host)
    run.then(clear, clear)
    return run
  }

  #build(config: CertificateConfig, what: string): SecureContext {
    const { loaded, context } = buildContext(config, this.#settings, what)
    checkKeyTypes(this.#defaultTypes, loaded, what)
    return context
  }

  /** Forgets the callback's cached answers (the map's contexts stay). */
  clear(): void {
    this.#cache.clear()
    this.#built = new WeakMap()
  }
}
