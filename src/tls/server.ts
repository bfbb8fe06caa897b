import { createHash } from 'node:crypto'
import type { Server, TlsOptions, SecureContextOptions } from 'node:tls'
import { TlsConfigError } from './errors.ts'
import { readMaterial, type CertificateConfig, type LoadedCertificate, type TlsMaterial } from './material.ts'
import { resolvePolicy, type TlsPolicyOptions } from './policy.ts'
import { buildContext, contextOptions, type ContextSettings } from './context.ts'
import { SniResolver, keyTypes, type SniCallback, type SniCacheOptions, type SniMap } from './sni.ts'
import { OcspStapler, type OcspFetch, type OcspOptions } from './ocsp.ts'
import { TicketKeyRotator, SESSION_DEFAULTS, type SessionOptions } from './tickets.ts'

/** The certificates a server presents: the default one, and per-name ones for SNI. */
export interface ServerCertificates extends CertificateConfig {
  /** Host name (or `*.wildcard`) → certificate, or a callback choosing one per name. */
  sni?: SniMap | SniCallback
}

export interface TlsServerOptions extends ServerCertificates, TlsPolicyOptions {
  /** ALPN protocols the server speaks, in order of preference, e.g. ['h2', 'http/1.1']. */
  alpn?: string[]
  /** Ask clients for a certificate (mutual TLS); a client may still send none. */
  requestCert?: boolean
  /** Refuse clients without a certificate signed by `ca` (implies requestCert). */
  requireClientCert?: boolean
  /** node:tls's name for requireClientCert (with requestCert); kept for weft/net users. */
  rejectUnauthorized?: boolean
  /** CAs trusted for client certificates. */
  ca?: TlsMaterial
  /** OCSP stapling: a fetch hook, or the hook with cache settings. */
  ocsp?: OcspFetch | OcspOptions
  /** Session resumption: ticket-key rotation and session lifetime. */
  sessions?: SessionOptions
  /** How a callback's SNI answers are cached. */
  sniCache?: SniCacheOptions
  /** How long a handshake may take before the socket is dropped, in ms (default 10 000). */
  handshakeTimeout?: number
  /** Time source for the caches and key epochs (tests pass a fake clock). Default Date.now. */
  clock?: () => number
}

export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000

/** The certificate state that `setCertificates` replaces as a whole. */
interface CertificateState {
  readonly loaded: LoadedCertificate | null
  readonly sni: SniResolver | null
}

/**
 * A server's TLS configuration, checked and built once: give it to any number of servers
 * (`node:tls`, `node:https`, `node:http2` secure servers, weft/net listeners) with
 * `serverOptions()` and `attach(server)`, swap certificates with `setCertificates()`, and
 * `close()` it when done.
 */
export class TlsServerConfig {
  readonly #options: TlsServerOptions
  readonly #settings: ContextSettings
  readonly #now: () => number
  readonly #tickets: TicketKeyRotator
  readonly #ocsp: OcspStapler | null
  readonly #servers = new Map<Server, () => void>()
  #state: CertificateState

  constructor(options: TlsServerOptions) {
    this.#options = options
    this.#now = options.clock ?? Date.now
    const policy = resolvePolicy(options, 'tls')
    const sessionTimeout = options.sessions?.timeout ?? SESSION_DEFAULTS.timeout
    if (!(sessionTimeout > 0)) throw new TlsConfigError('INVALID_OPTION', 'tls.sessions.timeout', 'must be a positive number of seconds')
    const settings: { -readonly [K in keyof ContextSettings]: ContextSettings[K] } = {
      policy,
      // Fixed, not per process, so a cluster sharing ticket keys also shares the context.
      sessionIdContext: createHash('sha256').update('weft').digest('hex').slice(0, 32),
      sessionTimeout,
    }
    if (options.ca !== undefined) settings.ca = readMaterial(options.ca, 'tls.ca')
    if (options.requireClientCert === true && options.ca === undefined) {
      throw new TlsConfigError('INVALID_OPTION', 'tls.requireClientCert', 'give `ca`: the CAs that sign client certificates')
    }
    this.#settings = settings
    this.#state = this.#build(options)
    this.#tickets = new TicketKeyRotator(options.sessions, this.#now)
    const ocsp = options.ocsp
    this.#ocsp = ocsp === undefined ? null : new OcspStapler(typeof ocsp === 'function' ? { fetch: ocsp } : ocsp, this.#now)
  }

  /** The OCSP stapler, if `ocsp` was given (fetch counts, clear()). */
  get ocsp(): OcspStapler | null {
    return this.#ocsp
  }

  /** The session-ticket key rotator (rotate() forces a new key). */
  get tickets(): TicketKeyRotator {
    return this.#tickets
  }

  /** The SNI names of a map (normalized), or [] for a callback or none. */
  get sniNames(): string[] {
    return this.#state.sni?.names ?? []
  }

  /**
   * Options for tls.createServer, https.createServer or http2.createSecureServer (spread them
   * into the server's own). Then call attach(server).
   */
  serverOptions(): TlsOptions {
    // requestCert alone only asks (the connection's `authorized` tells); requireClientCert, or
    // node:tls's requestCert + rejectUnauthorized, refuses the handshake without a valid one.
    const requireCert = this.#options.requireClientCert ?? (this.#options.requestCert === true && this.#options.rejectUnauthorized === true)
    const out: TlsOptions = {
      ...this.#contextOptions(),
      requestCert: requireCert || this.#options.requestCert === true,
      rejectUnauthorized: requireCert,
      handshakeTimeout: this.#options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
      // Looked up per handshake through the current state, so setCertificates() reaches it.
      SNICallback: (servername, done) => {
        const sni = this.#state.sni
        if (sni === null) done(null, undefined)
        else sni.SNICallback(servername, done)
      },
    }
    if (this.#options.alpn !== undefined) out.ALPNProtocols = this.#options.alpn
    return out
  }

  /**
   * Wires a server created with serverOptions(): OCSP stapling, ticket-key rotation, and
   * certificate reloads. Returns a function that undoes it; closing the server does too.
   */
  attach(server: Server): () => void {
    const existing = this.#servers.get(server)
    if (existing !== undefined) return existing
    const ocsp = this.#ocsp
    if (ocsp !== null) server.on('OCSPRequest', ocsp.onOCSPRequest)
    this.#tickets.attach(server)
    const detach = (): void => {
      if (!this.#servers.delete(server)) return
      if (ocsp !== null) server.off('OCSPRequest', ocsp.onOCSPRequest)
      server.off('close', detach)
      this.#tickets.detach(server)
    }
    server.on('close', detach)
    this.#servers.set(server, detach)
    return detach
  }

  /**
   * New certificates for new handshakes on every attached server; open connections keep the
   * ones they negotiated. The whole set is checked and built first: on any error this throws
   * and nothing changes. Policy, ALPN, client-certificate settings and ticket keys stay.
   */
  setCertificates(certificates: ServerCertificates): void {
    const next = this.#build(certificates)
    this.#state = next
    const options = this.#contextOptions()
    for (const server of this.#servers.keys()) {
      server.setSecureContext(options)
      // setSecureContext() builds a fresh context; keep the current ticket key on it.
      server.setTicketKeys(this.#tickets.key)
    }
    this.#ocsp?.clear()
  }

  /** Detaches from every server and stops the ticket-key timer. */
  close(): void {
    for (const detach of [...this.#servers.values()]) detach()
    this.#tickets.close()
  }

  #build(certificates: ServerCertificates): CertificateState {
    const hasDefault = certificates.cert !== undefined || certificates.key !== undefined || certificates.pfx !== undefined
    if (!hasDefault && certificates.sni === undefined) {
      throw new TlsConfigError('INVALID_OPTION', 'tls', 'give a certificate (`cert` and `key`, or `pfx`) or `sni`')
    }
    let loaded: LoadedCertificate | null = null
    if (hasDefault) {
      // Built once here only to surface OpenSSL's objections now; servers build their own copy.
      loaded = buildContext(certificates, this.#settings, 'tls').loaded
    }
    const defaultTypes = loaded === null ? null : keyTypes(loaded.leaves)
    const sni = certificates.sni === undefined ? null : new SniResolver(certificates.sni, this.#settings, defaultTypes, this.#options.sniCache, this.#now)
    return { loaded, sni }
  }

  #contextOptions(): SecureContextOptions {
    const loaded = this.#state.loaded ?? { leaves: [] }
    const out = contextOptions(loaded, this.#settings)
    out.ticketKeys = this.#tickets.key
    return out
  }
}

/** Options for a Node TLS server from a config (or from options, for a server without reloads). */
export function createTlsServerOptions(config: TlsServerConfig | TlsServerOptions): TlsOptions {
  return (config instanceof TlsServerConfig ? config : new TlsServerConfig(config)).serverOptions()
}

/** `config.attach(server)`: OCSP stapling, ticket rotation and reloads for a server. */
export function attachTls(server: Server, config: TlsServerConfig): () => void {
  return config.attach(server)
}
