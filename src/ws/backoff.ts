// The reconnection policy of the WebSocket client: exponential backoff with full jitter
// (delay = random(0, min(maxDelay, minDelay * factor^attempt))), as in "Exponential Backoff
// And Jitter" (AWS architecture blog): full jitter spreads a crowd of clients that lost the same
// server across the whole window, so they do not come back in synchronized waves.

/** Timers the client schedules reconnections with (injectable: tests drive a fake clock). */
export interface ReconnectTimers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** What ended a connection (or a connection attempt); also the client's final 'close' event. */
export interface CloseInfo {
  /** The close code: the peer's, the one this side failed with, 1005 for none, 1006 when the connection dropped or never opened. */
  code: number
  reason: string
  /** A close frame was exchanged (code is not 1006). */
  wasClean: boolean
  /** Why the connection could not be made or was lost (handshake, network, TLS), when there was an error. */
  error?: Error
}

export interface ReconnectOptions {
  /** Reconnection attempts in a row without a successful open before giving up (default Infinity). */
  attempts?: number
  /** Base delay in ms (default 500): the first attempt waits random(0, minDelay). */
  minDelay?: number
  /** Cap on the backoff window in ms (default 30 s). */
  maxDelay?: number
  /** Growth of the window per attempt (default 2). */
  factor?: number
  /** 'full' (default): uniform in [0, window]; 'none': the whole window (deterministic, for tests and special cases). */
  jitter?: 'full' | 'none'
  /**
   * Decides whether to reconnect after a connection ended (not after `close()`/`terminate()`,
   * which always stop). Default: reconnect unless the server closed with 1000, or the handshake
   * failed in a way that would fail again (see `WebSocketHandshakeError.retryable`).
   */
  shouldReconnect?(info: CloseInfo): boolean
  /** Random source in [0, 1) (default Math.random); injectable for tests. */
  random?: () => number
  /** Timers (default the global ones); injectable for tests. */
  timers?: ReconnectTimers
}

/** ReconnectOptions with the defaults filled in and checked. */
export interface ReconnectPolicy {
  attempts: number
  minDelay: number
  maxDelay: number
  factor: number
  jitter: 'full' | 'none'
  shouldReconnect: ((info: CloseInfo) => boolean) | null
  random: () => number
  timers: ReconnectTimers
}

export const RECONNECT_DEFAULTS = { attempts: Infinity, minDelay: 500, maxDelay: 30_000, factor: 2 } as const

const globalTimers: ReconnectTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/** The policy for `reconnect` (true: defaults; false/undefined: null, no reconnection). Throws on bad values. */
export function reconnectPolicy(option: boolean | ReconnectOptions | undefined): ReconnectPolicy | null {
  if (option === undefined || option === false) return null
  const o = option === true ? {} : option
  const attempts = o.attempts ?? RECONNECT_DEFAULTS.attempts
  if (!(attempts >= 0)) throw new RangeError('reconnect.attempts must be 0 or more')
  const minDelay = o.minDelay ?? RECONNECT_DEFAULTS.minDelay
  if (!(minDelay >= 0 && Number.isFinite(minDelay))) throw new RangeError('reconnect.minDelay must be a finite number of ms, 0 or more')
  const maxDelay = o.maxDelay ?? Math.max(minDelay, RECONNECT_DEFAULTS.maxDelay)
  if (!(maxDelay >= minDelay && Number.isFinite(maxDelay))) throw new RangeError('reconnect.maxDelay must be finite and at least minDelay')
  const factor = o.factor ?? RECONNECT_DEFAULTS.factor
  if (!(factor >= 1 && Number.isFinite(factor))) throw new RangeError('reconnect.factor must be at least 1')
  const jitter = o.jitter ?? 'full'
  if (jitter !== 'full' && jitter !== 'none') throw new RangeError("reconnect.jitter must be 'full' or 'none'")
  return { attempts, minDelay, maxDelay, factor, jitter, shouldReconnect: o.shouldReconnect ?? null, random: o.random ?? Math.random, timers: o.timers ?? globalTimers }
}

/** The delay before reconnection attempt number `attempt` (0 for the first). */
export function backoffDelay(attempt: number, policy: Pick<ReconnectPolicy, 'minDelay' | 'maxDelay' | 'factor' | 'jitter' | 'random'>): number {
  // min() before the power grows past the cap matters little, but Math.pow can reach Infinity
  // after ~1000 attempts, and Infinity * 0 (a random 0) would be NaN.
  const window = Math.min(policy.maxDelay, policy.minDelay * Math.pow(policy.factor, Math.min(attempt, 1024)))
  const capped = Number.isFinite(window) ? window : policy.maxDelay
  if (policy.jitter === 'none') return capped
  return Math.floor(policy.random() * capped)
}
