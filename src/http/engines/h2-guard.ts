import { constants, type ServerHttp2Session } from 'node:http2'

/**
 * Per-session frame budgets. nghttp2 answers PING and SETTINGS by itself and cancels a stream on
 * RST_STREAM for almost nothing on the wire, while the server has already parsed headers,
 * built a request and maybe started a handler: a client can make the server work without
 * limit (CVE-2023-44487 "rapid reset", CVE-2019-9512 ping flood, CVE-2019-9515 settings
 * flood). Each kind is counted in a fixed window; over budget, the session ends with
 * GOAWAY(ENHANCE_YOUR_CALM) and the other sessions carry on.
 */
export interface FloodLimits {
  /** Length of the counting window in ms. */
  floodWindow: number
  /** Streams the client may reset per window. */
  maxResets: number
  /** PING frames the client may send per window. */
  maxPings: number
  /** SETTINGS frames the client may send per window. */
  maxSettings: number
}

export type FloodKind = 'resets' | 'pings' | 'settings'

/** Counts one session's frames; `onFlood` hears which budget was crossed (for logs and tests). */
export class SessionGuard {
  private windowStart = 0
  private resets = 0
  private pings = 0
  private settings = 0
  private tripped = false
  /** Counts one client reset (a stream's 'aborted'): one function per session, not per request. */
  readonly onStreamAborted: () => void

  constructor(
    private readonly session: ServerHttp2Session,
    private readonly limits: FloodLimits,
    private readonly onFlood: ((kind: FloodKind, session: ServerHttp2Session) => void) | null,
  ) {
    this.onStreamAborted = () => this.count('resets')
    // The first SETTINGS is part of the preface, and a client acknowledges ours with another:
    // both are within the budget like any other, which a window of dozens easily covers.
    session.on('remoteSettings', () => this.count('settings'))
    session.on('ping', () => this.count('pings'))
  }

  private count(kind: FloodKind): void {
    // Streams torn down with their session are not the client's resets.
    if (this.tripped || this.session.destroyed) return
    const now = Date.now()
    if (now - this.windowStart >= this.limits.floodWindow) {
      this.windowStart = now
      this.resets = 0
      this.pings = 0
      this.settings = 0
    }
    const n = ++this[kind]
    const max = kind === 'resets' ? this.limits.maxResets : kind === 'pings' ? this.limits.maxPings : this.limits.maxSettings
    if (n > max) this.trip(kind)
  }

  private trip(kind: FloodKind): void {
    this.tripped = true
    this.onFlood?.(kind, this.session)
    // destroy(error, code) sends GOAWAY carrying the code before the socket goes (destroy(undefined,
    // code) would send NO_ERROR: the first argument's default wins); streams still open are torn
    // down and their handlers see req.signal abort, which is the point.
    if (!this.session.destroyed) this.session.destroy(new Error(`HTTP/2 ${kind} flood`), constants.NGHTTP2_ENHANCE_YOUR_CALM)
  }
}
