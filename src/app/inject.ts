import { Readable } from 'node:stream'
import { Request, type IncomingHeaders, type RequestTransport } from '../http/request.ts'
import type { Response } from '../http/response.ts'
import type { App } from './app.ts'

export interface InjectInit {
  method?: string
  headers?: Record<string, string> | Iterable<readonly [string, string]> | globalThis.Headers
  body?: string | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null
  /** The client address the app sees (default 127.0.0.1). */
  remoteAddress?: string
  signal?: AbortSignal
}

class InjectedTransport implements RequestTransport {
  readonly httpVersion = '1.1'
  constructor(
    readonly remoteAddress: string,
    readonly encrypted: boolean,
    private readonly source: InjectInit['body'],
    private readonly abort: AbortSignal,
  ) {}

  body(): AsyncIterator<Uint8Array> | null {
    const src = this.source
    if (src === undefined || src === null) return null
    if (typeof src === 'string' || src instanceof Uint8Array) {
      const bytes = typeof src === 'string' ? Buffer.from(src) : src
      return [bytes][Symbol.iterator]() as unknown as AsyncIterator<Uint8Array>
    }
    return (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  }

  signal(): AbortSignal {
    return this.abort
  }
}

/**
 * Runs a request through an app without a socket, the way an engine would, and converts the
 * result into a web Response (HEAD and 204/304 answers carry no body, as on the wire).
 */
export async function injectRequest(app: App, input: string | URL | globalThis.Request, init: InjectInit = {}): Promise<globalThis.Response> {
  let url: URL
  let method = init.method ?? 'GET'
  const headers: IncomingHeaders = {}
  let body = init.body
  let signal = init.signal
  if (input instanceof globalThis.Request) {
    url = new URL(input.url)
    method = init.method ?? input.method
    input.headers.forEach((v, k) => addHeader(headers, k, v))
    if (body === undefined && input.body !== null) body = input.body
    signal ??= input.signal
  } else {
    url = new URL(String(input), 'http://localhost')
  }
  if (init.headers !== undefined) {
    const pairs = init.headers instanceof globalThis.Headers ? init.headers.entries() : isIterable(init.headers) ? init.headers : Object.entries(init.headers)
    for (const [k, v] of pairs) addHeader(headers, k.toLowerCase(), v)
  }
  headers.host ??= url.host
  if (typeof body === 'string' || body instanceof Uint8Array) headers['content-length'] ??= String(Buffer.byteLength(body))
  method = method.toUpperCase()
  const transport = new InjectedTransport(init.remoteAddress ?? '127.0.0.1', url.protocol === 'https:', body, signal ?? new AbortController().signal)
  const req = new Request(method, url.pathname + url.search, headers, transport, app.requestSettings())
  const res = await app.handle(req)
  return toWebResponse(res, method === 'HEAD')
}

function addHeader(headers: IncomingHeaders, name: string, value: string): void {
  const prev = headers[name]
  if (prev === undefined) headers[name] = value
  else if (name === 'set-cookie') headers[name] = Array.isArray(prev) ? [...prev, value] : [prev, value]
  else headers[name] = `${Array.isArray(prev) ? prev.join(', ') : prev}, ${value}`
}

function isIterable(v: object): v is Iterable<readonly [string, string]> {
  return typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function'
}

/** Converts a weft Response into a web Response. */
export function toWebResponse(res: Response, head: boolean): globalThis.Response {
  const headers = new globalThis.Headers()
  for (const [name, value] of res.headers) headers.append(name, value)
  const noBody = head || res.status === 204 || res.status === 304 || (res.status >= 100 && res.status < 200)
  const body = res.body
  // Same Content-Length as the engine writes for a body of known size (HEAD included), so tests
  // through app.request() see what a client on the wire would.
  if (res.status !== 204 && res.status !== 304 && !headers.has('content-length')) {
    if (body === null) headers.set('content-length', '0')
    else if (typeof body === 'string') headers.set('content-length', String(Buffer.byteLength(body)))
    else if (body instanceof Uint8Array) headers.set('content-length', String(body.byteLength))
  }
  if (noBody || body === null) {
    destroyBody(body)
    return new globalThis.Response(null, { status: res.status, headers })
  }
  if (typeof body === 'string' || body instanceof Uint8Array) return new globalThis.Response(body, { status: res.status, headers })
  if (body instanceof ReadableStream) return new globalThis.Response(body, { status: res.status, headers })
  if (body instanceof Readable) return new globalThis.Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, { status: res.status, headers })
  const iterable = body as AsyncIterable<Uint8Array | string>
  const stream = ReadableStream.from(
    (async function* () {
      for await (const chunk of iterable) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    })(),
  )
  return new globalThis.Response(stream, { status: res.status, headers })
}

function destroyBody(body: Response['body']): void {
  if (body instanceof Readable) body.destroy()
  else if (body instanceof ReadableStream) void body.cancel().catch(() => {})
}
