import { Readable } from 'node:stream'
import { json, text, Response, type ResponseBody } from './response.ts'
import { ResponseHeaders } from './headers.ts'

/**
 * Anything a handler may return. Plain objects and arrays become JSON, strings text, bytes
 * `application/octet-stream`, streams and async iterables a streamed body, `null` 204 and
 * `undefined` 404.
 */
export type HandlerResult =
  | Response
  | globalThis.Response
  | ResponseBody
  | object
  | readonly unknown[]
  | number
  | boolean
  | undefined
  | void

/** Turns a handler's return value into a weft Response. */
export function toResponse(value: unknown): Response {
  if (value instanceof Response) return value
  if (typeof value === 'string') return text(value)
  if (value === null) return new Response(null, { status: 204 })
  if (value === undefined) return text('Not Found', { status: 404 })
  if (typeof value === 'object') {
    if (value instanceof Uint8Array) return new Response(value)
    if (value instanceof globalThis.Response) return fromWebResponse(value)
    if (isStreamBody(value)) return new Response(value as ResponseBody)
    if (value instanceof ArrayBuffer) return new Response(new Uint8Array(value))
  }
  return json(value)
}

/** True for the body kinds that are sent as a stream. */
export function isStreamBody(value: object): boolean {
  return (
    value instanceof Readable ||
    value instanceof ReadableStream ||
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  )
}

function fromWebResponse(web: globalThis.Response): Response {
  const headers = new ResponseHeaders()
  web.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers.append(name, value)
  })
  for (const cookie of web.headers.getSetCookie()) headers.append('set-cookie', cookie)
  const res = new Response(web.body, { status: web.status, headers })
  return res
}
