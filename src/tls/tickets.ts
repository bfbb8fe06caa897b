import { randomBytes } from 'node:crypto'
import type { Server } from 'node:tls'
import { TlsConfigError } from './errors.ts'
import { asBuffer } from './material.ts'

/**
 * Session resumption: TLS 1.3 (and 1.2) session tickets, encrypted with a ticket key that
 * changes on an interval so that a stolen key exposes at most one interval of sessions.
 */
export interface SessionOptions {
  /** Ticket key lifetime in ms (default 12 hours; 0: keep one key for the server's life). */
  ticketKeyRotation?: number
  /**
   * Where keys come from (default: random, so each process has its own). Give a function of
   * the epoch (`Math.floor(now / ticketKeyRotation)`) deriving 48 bytes from a shared secret,
   * e.g. with `hkdfSync`, and every process of a cluster resumes the others' sessions.
   */
  ticketKeys?: (epoch: number) => Uint8Array
  /** How long a session may be resumed, in seconds (default 3600). */
  timeout?: number
}

export const SESSION_DEFAULTS = { ticketKeyRotation: 12 * 3_600_000, timeout: 3600 } as const

/** Node (OpenSSL) ticket keys: 16 bytes of key name, 16 of HMAC secret, 16 of AES key. */
export const TICKET_KEY_LENGTH = 48

/**
 * Rotates the ticket key of every server it is attached to, on epoch boundaries (so processes
 * that derive keys from a shared secret switch together).
 *
 * Overlap: node:tls takes one ticket key per context (`setTicketKeys`), and OpenSSL, holding
 * one key, cannot decrypt tickets made under the previous one. Node's public API has no way to
 * add a second decryption key (OpenSSL's ticket-key callback is only reachable through Node
 * internals, which weft does not use). So a client returning with a ticket from the previous
 * interval gets a full handshake once, and a new ticket under the new key: resumption breaks
 * once per client per interval, never the connection. With the 12-hour default that is a
 * negligible cost next to the forward secrecy it buys.
 */
export class TicketKeyRotator {
  readonly #servers = new Set<Server>()
  readonly #interval: number
  readonly #derive: ((epoch: number) => Uint8Array) | undefined
  readonly #now: () => number
  #key: Buffer
  #epoch: number
  #timer: NodeJS.Timeout | null = null
  /** Rotations so far. */
  rotations = 0

  constructor(options: SessionOptions = {}, now: () => number = Date.now) {
    const interval = options.ticketKeyRotation ?? SESSION_DEFAULTS.ticketKeyRotation
    if (!(interval >= 0) || !Number.isFinite(interval)) {
      throw new TlsConfigError('INVALID_OPTION', 'tls.sessions.ticketKeyRotation', 'must be a number of milliseconds (0: never rotate)')
    }
    this.#interval = interval
    this.#derive = options.ticketKeys
    this.#now = now
    this.#epoch = this.#currentEpoch()
    this.#key = this.#make(this.#epoch)
  }

  /** The key in use (48 bytes), for the initial server options. */
  get key(): Buffer {
    return this.#key
  }

  get interval(): number {
    return this.#interval
  }

  /** Whether the rotation timer is set (servers attached and an interval). */
  get running(): boolean {
    return this.#timer !== null
  }

  /** Starts serving `server` the current key, and rotating it. */
  attach(server: Server): void {
    this.#servers.add(server)
    server.setTicketKeys(this.#key)
    this.#schedule()
  }

  /** Stops rotating for `server`; the timer stops with the last one. */
  detach(server: Server): void {
    this.#servers.delete(server)
    if (this.#servers.size === 0) this.#stop()
  }

  /** Switches every attached server to a new key now (also what the timer does). */
  rotate(): void {
    const epoch = this.#currentEpoch()
    // A derived key depends on the epoch only: a forced rotation within the same epoch must
    // still change the key, so it moves on to the next epoch's key.
    this.#epoch = this.#derive !== undefined && epoch <= this.#epoch ? this.#epoch + 1 : epoch
    this.#key = this.#make(this.#epoch)
    this.rotations++
    for (const server of this.#servers) server.setTicketKeys(this.#key)
  }

  /** Stops the timer and forgets the servers. */
  close(): void {
    this.#servers.clear()
    this.#stop()
  }

  #currentEpoch(): number {
    return this.#interval === 0 ? 0 : Math.floor(this.#now() / this.#interval)
  }

  #make(epoch: number): Buffer {
    if (this.#derive === undefined) return randomBytes(TICKET_KEY_LENGTH)
    const key = this.#derive(epoch)
    if (key.byteLength !== TICKET_KEY_LENGTH) {
      throw new TlsConfigError('INVALID_OPTION', 'tls.sessions.ticketKeys', `must return ${TICKET_KEY_LENGTH} bytes, returned ${key.byteLength}`)
    }
    return Buffer.from(asBuffer(key)) // a copy: the caller may reuse its buffer
  }

  #schedule(): void {
    if (this.#timer !== null || this.#interval === 0 || this.#servers.size === 0) return
    const delay = this.#interval - (this.#now() % this.#interval)
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.rotate()
      this.#schedule()
    }, Math.max(1, delay))
    // Rotation alone must not keep the process alive.
    this.#timer.unref()
  }

  #stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }
}
