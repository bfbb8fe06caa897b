import { parseCookies } from './cookies.ts'
import { collect, limitBody, mediaType, tooLarge, DEFAULT_BODY_LIMIT } from './body.ts'
import { HttpError } from './errors.ts'
import { resolveForwarded, type ForwardedFacts, type TrustFunction } from './proxy.ts'
import { bodyCoding, decodeBody } from './decode.ts'
import { readFormData, readParts, type MultipartLimits, type Part } from './multipart.ts'
import type { RequestTlsInfo } from './tls-info.ts'

/** Incoming header values as the engines give them: lower-case names. */
export type IncomingHeaders = Record<string, string | string[] | undefined>

/**
 * What an engine (node:http today, others later) supplies for one request. Keeping this
 * narrow is what lets HTTP/1.1 and HTTP/2 look the same to handlers.
 */
export interface RequestTransport {
  readonly remoteAddress: string
  readonly encrypted: boolean
  readonly httpVersion: string
  /** The raw body, chunk by chunk; `null` when there is none. Asked for at most once. */
  body(): AsyncIterator<Uint8Array> | null
  /** A signal that aborts when the client goes away before the response is complete. */
  signal(): AbortSignal
  /** The connection's TLS facts; absent or null on cleartext. */
  tls?(): RequestTlsInfo | null
  /** Sends a 103 Early Hints response; absent where the protocol has none. */
  earlyHints?(headers: EarlyHints): void
  /** Starts a server push of `path`; false when the client does not allow it. */
  push?(path: string, headers: Record<string, string>): boolean
}

/** Headers of a 103 Early Hints response: `link` above all (`<...>; rel=preload`). */
export interface EarlyHints {
  link: string | string[]
  [name: string]: string | string[]
}

export interface PushOptions {
  /** Request headers of the pushed request (the client's accept-* headers are copied unless given). */
  headers?: Record<string, string>
}

/** Settings shared by every request of one server or app. */
export interface RequestSettings {
  trust: TrustFunction | null
}

const NO_TRUST: RequestSettings = { trust: null }
const EMPTY_PARAMS = Object.freeze({}) as Record<string, string>

/**
 * weft's request. Everything that costs something (query, cookies, proxy facts, the abort
 * signal, body readers) is built on first use, so the plain case pays only for a few fields.
 */
export class Request<Params extends Record<string, string> = Record<string, string>> {
  readonly method: string
  /** The request target as sent: path and query string. */
  readonly url: string
  /** The path without the query string, still percent-encoded. */
  readonly path: string
  readonly headers: IncomingHeaders
  /** Route parameters, percent-decoded. */
  params: Params
  /** Body size limit in bytes for the readers below; routes and `bodyLimit()` may change it. */
  bodyLimit: number
  readonly transport: RequestTransport
  /** @internal */ settings: RequestSettings

  /**
   * What is built on first use, in one object made when the first of it is: most requests use
   * none of it, and each field kept here instead costs every request 8 bytes.
   */
  private _lazy: LazyParts | null = null

  constructor(method: string, url: string, headers: IncomingHeaders, transport: RequestTransport, settings: RequestSettings = NO_TRUST) {
    this.method = method
    this.url = url
    const q = url.indexOf('?')
    this.path = q === -1 ? url : url.slice(0, q)
    this.headers = headers
    this.params = EMPTY_PARAMS as Params
    this.bodyLimit = DEFAULT_BODY_LIMIT
    this.transport = transport
    this.settings = settings
  }

  /** The first value of a header (names are case-insensitive); repeated headers are joined. */
  header(name: string): string | undefined {
    const v = this.headers[name.toLowerCase()]
    return Array.isArray(v) ? v.join(', ') : v
  }

  /** The query string, parsed. */
  get query(): URLSearchParams {
    const lazy = this.lazy()
    if (lazy.query === undefined) {
      const q = this.url.indexOf('?')
      lazy.query = new URLSearchParams(q === -1 ? '' : this.url.slice(q + 1))
    }
    return lazy.query
  }

  /** Cookies sent by the client. */
  get cookies(): Record<string, string> {
    const lazy = this.lazy()
    return (lazy.cookies ??= parseCookies(this.header('cookie')))
  }

  /** Per-request storage for middleware to hand values to handlers. */
  get state(): Record<string, unknown> {
    const lazy = this.lazy()
    return (lazy.state ??= Object.create(null) as Record<string, unknown>)
  }

  /** Aborts when the client disconnects before the response is complete. */
  get signal(): AbortSignal {
    return this.transport.signal()
  }

  /** The client address: the peer's, or the forwarded one when the peer is a trusted proxy. */
  get ip(): string {
    return this.forwarded().ip
  }

  /** `http` or `https` (from a trusted proxy's headers when there is one). */
  get protocol(): string {
    return this.forwarded().protocol ?? (this.transport.encrypted ? 'https' : 'http')
  }

  /** The host the client asked for (Host, `:authority`, or a trusted proxy's header). */
  get host(): string {
    return this.forwarded().host ?? this.header('host') ?? this.header(':authority') ?? ''
  }

  /**
   * The TLS connection this request came on (version, cipher, ALPN, SNI name, the client's
   * certificate with mutual TLS), or null over cleartext.
   */
  get tls(): RequestTlsInfo | null {
    return this.transport.tls?.() ?? null
  }

  /**
   * Sends 103 Early Hints before the response, so the client can start fetching what the
   * page will need (`link: '</app.css>; rel=preload; as=style'`) while the handler works.
   * HTTP/1.1 and HTTP/2; clients that do not understand 103 ignore it. Call before returning.
   */
  earlyHints(hints: EarlyHints): void {
    this.transport.earlyHints?.(hints)
  }

  /**
   * HTTP/2 server push: the server answers a GET for `path` (through the same app) before the
   * client asks. Only when the client allows push (`SETTINGS_ENABLE_PUSH`); otherwise, and on
   * HTTP/1.1, nothing happens and it returns false. Browsers no longer accept pushes (Chromium
   * dropped them); prefer `earlyHints()` for them.
   */
  push(path: string, options: PushOptions = {}): boolean {
    if (this.transport.push === undefined || path.charCodeAt(0) !== 47) return false
    const headers: Record<string, string> = {}
    for (const name of PUSH_COPIED) {
      const v = this.header(name)
      if (v !== undefined) headers[name] = v
    }
    if (options.headers !== undefined) for (const name in options.headers) headers[name.toLowerCase()] = options.headers[name]!
    return this.transport.push(path, headers)
  }

  /** The Last-Event-ID a reconnecting EventSource sends: where an SSE stream should resume. */
  get lastEventId(): string | undefined {
    return this.header('last-event-id')
  }

  private forwarded(): ForwardedFacts {
    const lazy = this.lazy()
    if (lazy.forwarded === undefined) {
      const peer = this.transport.remoteAddress
      const trust = this.settings.trust
      lazy.forwarded = trust === null ? { ip: peer, protocol: undefined, host: undefined } : resolveForwarded(trust, peer, this.headers)
    }
    return lazy.forwarded
  }

  private lazy(): LazyParts {
    return (this._lazy ??= { query: undefined, cookies: undefined, forwarded: undefined, state: undefined, bodyUsed: false, bytes: undefined })
  }

  /** Whether a body reader has started. */
  get bodyUsed(): boolean {
    return this._lazy !== null && this._lazy.bodyUsed
  }

  /**
   * The body as chunks, bounded by `bodyLimit` (413 when crossed, decided up front when
   * Content-Length already says too much). A body sent with `Content-Encoding: gzip`, `br`,
   * `deflate` (or `zstd` where Node has it) arrives decoded, the limit then applying to the
   * decoded size as well; other codings answer 415, corrupt data 400. Can be taken once.
   */
  chunks(): AsyncIterable<Uint8Array> {
    const lazy = this.lazy()
    if (lazy.bodyUsed) throw new TypeError('the request body has already been read')
    lazy.bodyUsed = true
    const limit = this.bodyLimit
    const declared = this.header('content-length')
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit)
    const encoding = this.headers['content-encoding']
    // The common case, no Content-Encoding, costs this one lookup; a coding weft cannot decode
    // answers 415 before a byte is read.
    const coding = encoding === undefined ? null : bodyCoding(encoding)
    const source = this.transport.body()
    if (source === null) return EMPTY_BODY
    if (coding === null) return limitBody(source, limit)
    return decodeBody(source, coding, limit)
  }

  /** The body as a web ReadableStream (bounded like `chunks()`). */
  get body(): ReadableStream<Uint8Array> {
    return ReadableStream.from(this.chunks())
  }

  /** The whole body as bytes. Later calls (and text/json/form) reuse the same bytes. */
  bytes(): Promise<Buffer> {
    const lazy = this.lazy()
    if (lazy.bytes === undefined) {
      try {
        lazy.bytes = collect(this.chunks())
      } catch (err) {
        lazy.bytes = Promise.reject(err)
      }
    }
    return lazy.bytes
  }

  /** The body decoded as UTF-8. */
  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8')
  }

  /** The body parsed as JSON; invalid JSON answers 400. */
  async json<T = unknown>(): Promise<T> {
    const body = await this.text()
    try {
      return JSON.parse(body) as T
    } catch (err) {
      throw new HttpError(400, `Invalid JSON body: ${(err as Error).message}`)
    }
  }

  /** An `application/x-www-form-urlencoded` body; other types answer 415. */
  async form(): Promise<URLSearchParams> {
    const type = mediaType(this.header('content-type'))
    if (type !== 'application/x-www-form-urlencoded') {
      throw new HttpError(415, 'Expected an application/x-www-form-urlencoded body')
    }
    return new URLSearchParams(await this.text())
  }

  /**
   * A `multipart/form-data` body (or an `application/x-www-form-urlencoded` one) as a web
   * FormData; files become `File` objects held in memory, so the body limit bounds them.
   * Other types answer 415, malformed multipart 400, a crossed limit 413.
   */
  formData(limits?: MultipartLimits): Promise<FormData> {
    return readFormData(this, limits)
  }

  /**
   * The parts of a `multipart/form-data` body, one at a time as they arrive: each part's body
   * streams (`part.saveTo(path)` writes a file without holding it in memory). Read or skip a
   * part before asking for the next; a part left unread is skipped.
   */
  parts(limits?: MultipartLimits): AsyncIterable<Part> {
    return readParts(this, limits)
  }
}

/** A request's parts built on first use (all fields present from the start: one shape). */
interface LazyParts {
  query: URLSearchParams | undefined
  cookies: Record<string, string> | undefined
  forwarded: ForwardedFacts | undefined
  state: Record<string, unknown> | undefined
  bodyUsed: boolean
  bytes: Promise<Buffer> | undefined
}

/** Request headers a pushed request inherits, so content negotiation answers it alike. */
const PUSH_COPIED = ['host', 'accept-encoding', 'accept-language', 'user-agent', 'cookie', 'authorization'] as const

const EMPTY_BODY: AsyncIterable<Uint8Array> = {
  [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
}
