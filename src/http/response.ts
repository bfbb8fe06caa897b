import type { Readable } from 'node:stream'
import { serializeCookie, type CookieOptions } from './cookies.ts'
import { ResponseHeaders, type HeadersInit } from './headers.ts'
import type { PushOptions } from './request.ts'

/** What a response body can be. Streams and async iterables are sent with backpressure. */
export type ResponseBody =
  | string
  | Uint8Array
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | null

/** A push recorded by `res.push()`, made by the HTTP/2 engine when it sends the response. */
export interface RecordedPush {
  readonly path: string
  readonly options: PushOptions | undefined
}

export interface ResponseInit {
  status?: number
  headers?: HeadersInit
}

const TEXT = 'text/plain; charset=utf-8'
const OCTETS = 'application/octet-stream'
const JSON_TYPE = 'application/json; charset=utf-8'
const HTML = 'text/html; charset=utf-8'

/**
 * weft's response: a status, headers and a body. Handlers may return one, or a plain value
 * that weft turns into one (see `toResponse`).
 */
export class Response {
  status: number
  body: ResponseBody
  /**
   * Pushes recorded by `push()`, in order; null until the first one, so a response that pushes
   * nothing allocates nothing for them. Engines read it; HTTP/1.1 ignores it.
   */
  pushes: RecordedPush[] | null
  /**
   * @internal The header map, made when `headers` is first read (or headers are given). Most
   * responses never need one: their only header is a Content-Type, kept in `_type` until then.
   * Engines read these two fields rather than `headers`, so such a response costs two fields,
   * not a map and its holder.
   */
  _headers: ResponseHeaders | null
  /** @internal The Content-Type while `_headers` is null (null: none). */
  _type: string | null

  constructor(body: ResponseBody = null, init?: ResponseInit) {
    this.status = init?.status ?? 200
    this.body = body
    this.pushes = null
    this._headers = null
    // Default content types as the web Response does.
    this._type = body === null ? null : typeof body === 'string' ? TEXT : body instanceof Uint8Array ? OCTETS : null
    const given = init?.headers
    if (given !== undefined) {
      const headers = (this._headers = new ResponseHeaders(given))
      // A Content-Type among the given headers wins over the default.
      if (this._type !== null && headers.map['content-type'] === undefined) headers.map['content-type'] = this._type
    }
  }

  /** The response headers. */
  get headers(): ResponseHeaders {
    if (this._headers === null) {
      this._headers = new ResponseHeaders()
      // Written straight to the map: the type is one of ours or already checked.
      if (this._type !== null) this._headers.map['content-type'] = this._type
    }
    return this._headers
  }

  /** Adds a Set-Cookie header; returns the response for chaining. */
  cookie(name: string, value: string, options?: CookieOptions): this {
    this.headers.append('set-cookie', serializeCookie(name, value, options))
    return this
  }

  /**
   * HTTP/2 server push, declared on the response: when it is sent on an HTTP/2 stream, weft
   * first pushes each recorded `path` (PUSH_PROMISE before the response's HEADERS, as RFC 9113
   * §8.4 asks) and answers it through the same app, as `req.push()` does. Skipped where push is
   * not possible: HTTP/1.1, a client that disabled push, a pushed stream, a HEAD request.
   * `path` must be a path (`/style.css`). Returns the response for chaining.
   */
  push(path: string, options?: PushOptions): this {
    if (path.charCodeAt(0) !== 47) throw new TypeError(`push(): expected a path starting with '/', got ${JSON.stringify(path)}`)
    const push: RecordedPush = { path, options }
    if (this.pushes === null) this.pushes = [push]
    else this.pushes.push(push)
    return this
  }

  /** Tells the client to forget a cookie (same `path` and `domain` as when it was set). */
  clearCookie(name: string, options?: Pick<CookieOptions, 'path' | 'domain' | 'secure' | 'sameSite' | 'partitioned'>): this {
    this.headers.append('set-cookie', serializeCookie(name, '', { ...options, maxAge: 0, expires: new Date(0) }))
    return this
  }
}

function withType(body: ResponseBody, type: string, init?: ResponseInit): Response {
  // Built without a body so the constructor's default type does not hide whether the caller
  // gave one: a Content-Type in `init.headers` wins, otherwise the helper's type applies.
  const res = new Response(null, init)
  res.body = body
  if (res._headers === null) res._type = type
  else if (res._headers.map['content-type'] === undefined) res._headers.map['content-type'] = type
  return res
}

/** A text/plain response. */
export function text(body: string, init?: ResponseInit): Response {
  return withType(body, TEXT, init)
}

/** An HTML response. */
export function html(body: string, init?: ResponseInit): Response {
  return withType(body, HTML, init)
}

/** A JSON response. `undefined` serializes as `null`. */
export function json(data: unknown, init?: ResponseInit): Response {
  const body = JSON.stringify(data)
  return withType(body === undefined ? 'null' : body, JSON_TYPE, init)
}

/** A redirect (302 unless another 3xx status is given). */
export function redirect(location: string, status: 301 | 302 | 303 | 307 | 308 = 302): Response {
  const res = new Response(null, { status })
  res.headers.set('location', location)
  return res
}

/** A response with just a status, and optionally a text body. */
export function status(code: number, body?: string): Response {
  return new Response(body ?? null, { status: code })
}

export { TEXT as TEXT_TYPE, JSON_TYPE, OCTETS as OCTET_TYPE }
