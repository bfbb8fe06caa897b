import { X509Certificate, createHash } from 'node:crypto'
import { asBuffer } from './material.ts'
import { parseOcspResponse } from './ocsp-der.ts'

/**
 * Fetches a DER OCSP response for `cert` (usually from the responder named in
 * `cert.infoAccess`), or null when there is none to staple. `issuer` is null when the chain
 * the server was given does not include it.
 */
export type OcspFetch = (cert: X509Certificate, issuer: X509Certificate | null) => Promise<Uint8Array | null>

export interface OcspOptions {
  fetch: OcspFetch
  /** How long to staple an answer that has no nextUpdate, in ms (default 1 hour). */
  defaultTtl?: number
  /** After a failed, empty or unusable answer, how long until the next fetch, in ms (default 5 minutes). */
  retryAfter?: number
  /**
   * How long a handshake waits for a fetch that is not cached yet, in ms (default 5000). Past
   * that the handshake goes on without a staple, and the answer is cached when it arrives.
   */
  fetchTimeout?: number
  /** Told about fetches that failed and answers that cannot be stapled. */
  onError?: (error: Error) => void
}

export const OCSP_DEFAULTS = { defaultTtl: 3_600_000, retryAfter: 300_000, fetchTimeout: 5000 } as const

interface Entry {
  readonly response: Buffer | null
  readonly expires: number
}

type Done = (error: Error | null, response?: Buffer) => void

/**
 * Serves stapled OCSP answers from a cache: the fetch hook runs once per certificate and its
 * answer is reused until the answer's own nextUpdate (the responder's promise of when newer
 * information will exist), so a busy server asks its CA rarely and never per handshake.
 */
export class OcspStapler {
  readonly #options: OcspOptions
  readonly #now: () => number
  readonly #cache = new Map<string, Entry>()
  readonly #inflight = new Map<string, Promise<Buffer | null>>()
  /** Fetch hook calls so far (for tests and metrics). */
  fetches = 0

  constructor(options: OcspOptions, now: () => number = Date.now) {
    this.#options = options
    this.#now = now
  }

  /** The listener for a tls.Server's 'OCSPRequest' event. */
  readonly onOCSPRequest = (certificate: Buffer, issuer: Buffer | null, done: Done): void => {
    const id = createHash('sha256').update(certificate).digest('base64')
    const hit = this.#cache.get(id)
    if (hit !== undefined && hit.expires > this.#now()) {
      done(null, hit.response ?? undefined)
      return
    }
    let answered = false
    const answer = (response: Buffer | null): void => {
      if (answered) return
      answered = true
      clearTimeout(timer)
      done(null, response ?? undefined)
    }
    const timeout = this.#options.fetchTimeout ?? OCSP_DEFAULTS.fetchTimeout
    const timer = setTimeout(() => answer(null), timeout)
    timer.unref()
    this.#refresh(id, certificate, issuer).then(answer, () => answer(null))
  }

  /** Forgets every cached answer (after new certificates, for instance). */
  clear(): void {
    this.#cache.clear()
  }

  #refresh(id: string, certificate: Buffer, issuer: Buffer | null): Promise<Buffer | null> {
    const pending = this.#inflight.get(id)
    if (pending !== undefined) return pending
    const run = this.#fetch(id, certificate, issuer)
    this.#inflight.set(id, run)
    const clear = (): void => void this.#inflight.delete(id)
    run.then(clear, clear)
    return run
  }

  async #fetch(id: string, certificate: Buffer, issuer: Buffer | null): Promise<Buffer | null> {
    const retryAfter = this.#options.retryAfter ?? OCSP_DEFAULTS.retryAfter
    let entry: Entry
    try {
      const cert = new X509Certificate(certificate)
      this.fetches++
      const bytes = await this.#options.fetch(cert, issuer === null ? null : new X509Certificate(issuer))
      entry = bytes === null ? { response: null, expires: this.#now() + retryAfter } : this.#check(asBuffer(bytes), cert, retryAfter)
    } catch (error) {
      this.#report(error instanceof Error ? error : new Error(String(error)))
      entry = { response: null, expires: this.#now() + retryAfter }
    }
    this.#cache.set(id, entry)
    return entry.response
  }

  /** Whether an answer may be stapled, and until when. */
  #check(response: Buffer, cert: X509Certificate, retryAfter: number): Entry {
    const now = this.#now()
    const info = parseOcspResponse(response)
    const reject = (why: string): Entry => {
      this.#report(new Error(`OCSP answer for ${cert.subject.replace(/\n/g, ', ')} not stapled: ${why}`))
      return { response: null, expires: now + retryAfter }
    }
    if (info.status !== 'successful') return reject(`responder status ${info.status}`)
    const single = info.responses.find((r) => r.serialNumber === cert.serialNumber.toUpperCase())
    if (single === undefined) return reject(`it is about other certificates (serial ${cert.serialNumber} not among them)`)
    if (single.thisUpdate.getTime() > now + 300_000) return reject('its thisUpdate is in the future')
    const expires = single.nextUpdate === null ? now + (this.#options.defaultTtl ?? OCSP_DEFAULTS.defaultTtl) : single.nextUpdate.getTime()
    if (expires <= now) return reject('it has expired (nextUpdate has passed)')
    // A 'revoked' answer is stapled too: it is the truth, and the client should hear it.
    return { response, expires }
  }

  #report(error: Error): void {
    try {
      this.#options.onError?.(error)
    } catch {
      // A throwing reporter must not break handshakes.
    }
  }
}
