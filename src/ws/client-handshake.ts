// The client's opening handshake (RFC 6455 4.1) over node:http / node:https: llhttp parses the
// answer and node:tls does TLS; weft builds the request and checks the 101 (handshake.ts,
// deflate-negotiation.ts). Redirects are not followed: a 3xx fails the handshake with its
// Location in the message (following one would resend custom headers, perhaps credentials, to
// another origin; the caller can reconnect to the new URL if it trusts it).
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import { type DeflateConfig, type DeflateParams, EXTENSION_NAME, acceptDeflateResponse, deflateOffer } from './deflate-negotiation.ts'
import { formatExtensions, isToken } from './extension-header.ts'
import { checkUpgradeResponse, generateKey } from './handshake.ts'
import { WebSocketHandshakeError } from './client-errors.ts'

/** TLS settings for wss:// (node:tls options of the same names). */
export interface ClientTlsOptions {
  /** Trusted CA certificates (PEM), replacing Node's default list: for a private CA. */
  ca?: string | Buffer | Array<string | Buffer>
  /** Client certificate (PEM), for servers that ask for one. */
  cert?: string | Buffer | Array<string | Buffer>
  /** The client certificate's private key (PEM). */
  key?: string | Buffer | Array<string | Buffer>
  /** Passphrase of `key`. */
  passphrase?: string
  /** Verify the server's certificate (default true; turning it off allows any man in the middle). */
  rejectUnauthorized?: boolean
  /** SNI name and the name the certificate must match (default: the URL's host, unless it is an IP). */
  servername?: string
}

export interface HandshakeOptions extends ClientTlsOptions {
  headers?: Record<string, string | readonly string[]>
  protocols: readonly string[]
  origin?: string
  deflate: DeflateConfig | null
  /** Milliseconds for TCP, TLS and the 101 together. */
  timeout: number
}

export interface HandshakeResult {
  socket: Socket
  /** Bytes that came after the 101 (the first frames, maybe). */
  head: Buffer
  protocol: string
  extensions: string
  deflate: DeflateParams | null
}

/** Names the handshake sets itself; a user header of the same name is refused (it would break or fake the handshake). */
const OWN_HEADERS = new Set(['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'host'])

/** Checks what can be checked before dialing (throws): the URL and the subprotocol names. */
export function parseWebSocketUrl(input: string | URL): URL {
  const url = new URL(input)
  if (url.protocol === 'http:') url.protocol = 'ws:'
  else if (url.protocol === 'https:') url.protocol = 'wss:'
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`a WebSocket URL must be ws:// or wss://, not ${url.protocol}//`)
  if (url.hash !== '') throw new TypeError('a WebSocket URL may not have a fragment (#...)')
  return url
}

export function checkProtocols(protocols: readonly string[]): void {
  const seen = new Set<string>()
  for (const p of protocols) {
    if (!isToken(p)) throw new TypeError(`invalid subprotocol name ${JSON.stringify(p)}`)
    if (seen.has(p)) throw new TypeError(`subprotocol ${p} is listed twice`)
    seen.add(p)
  }
}

export function checkHeaders(headers: Record<string, string | readonly string[]> | undefined): void {
  if (headers === undefined) return
  for (const name of Object.keys(headers)) {
    if (OWN_HEADERS.has(name.toLowerCase())) throw new TypeError(`the ${name} header is set by the WebSocket handshake`)
  }
}

/** Dials `url` and completes the handshake; rejects with a WebSocketHandshakeError, a network or TLS error, or an AbortError. */
export function clientHandshake(url: URL, options: HandshakeOptions, signal: AbortSignal): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const key = generateKey()
    const headers: Record<string, string | string[]> = {}
    if (options.headers !== undefined) for (const name of Object.keys(options.headers)) headers[name] = copy(options.headers[name]!)
    headers['connection'] = 'Upgrade'
    headers['upgrade'] = 'websocket'
    headers['sec-websocket-version'] = '13'
    headers['sec-websocket-key'] = key
    if (options.protocols.length > 0) headers['sec-websocket-protocol'] = options.protocols.join(', ')
    if (options.deflate !== null) headers['sec-websocket-extensions'] = deflateOffer(options.deflate)
    if (options.origin !== undefined) headers['origin'] = options.origin

    const secure = url.protocol === 'wss:'
    const common = {
      host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      path: url.pathname + url.search,
      method: 'GET',
      headers,
      // A connection of its own: an upgraded socket never goes back to a pool.
      agent: false as const,
      signal,
    }
    let req: ClientRequest
    if (secure) {
      req = httpsRequest({
        ...common,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        passphrase: options.passphrase,
        rejectUnauthorized: options.rejectUnauthorized ?? true,
        ...(options.servername !== undefined ? { servername: options.servername } : {}),
      })
    } else {
      req = httpRequest(common)
    }

    let settled = false
    const timer = setTimeout(() => {
      fail(new WebSocketHandshakeError(`no answer within ${options.timeout} ms (handshakeTimeout)`))
      req.destroy()
    }, options.timeout)
    function fail(error: Error): void {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(error)
    }

    req.on('error', fail)
    req.on('response', (res: IncomingMessage) => {
      // Not an upgrade (node:http only reports a valid upgrade as 'upgrade').
      const status = res.statusCode ?? 0
      let message = failureMessage(status, res)
      if (status === 101) {
        const check = checkUpgradeResponse(status, res.headers, key, options.protocols, [])
        if (!check.ok) message = check.message
      }
      if (status >= 300 && status < 400 && res.headers.location !== undefined) message += ` (redirects are not followed; Location: ${res.headers.location})`
      fail(new WebSocketHandshakeError(message, status, res.headers))
      res.resume()
      req.destroy()
    })
    req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      const status = res.statusCode ?? 0
      const offered = options.deflate === null ? [] : [EXTENSION_NAME]
      const check = checkUpgradeResponse(status, res.headers, key, options.protocols, offered)
      let error: string | null = check.ok ? null : check.message
      let deflate: DeflateParams | null = null
      let extensions = ''
      if (check.ok && check.extensions.length > 0) {
        const params = acceptDeflateResponse(check.extensions[0]!, options.deflate ?? {})
        if (typeof params === 'string') error = `invalid permessage-deflate response: ${params}`
        else {
          deflate = params
          extensions = formatExtensions(check.extensions)
        }
      }
      if (error !== null || !check.ok || settled) {
        socket.destroy()
        fail(new WebSocketHandshakeError(error ?? 'aborted', status, res.headers))
        return
      }
      settled = true
      clearTimeout(timer)
      socket.setNoDelay(true)
      // Nothing may be read until the connection's listeners exist (the client resumes it).
      socket.pause()
      resolve({ socket, head, protocol: check.protocol ?? '', extensions, deflate })
    })
    req.end()
  })
}

function failureMessage(status: number, res: IncomingMessage): string {
  const text = res.statusMessage === undefined || res.statusMessage === '' ? '' : ` ${res.statusMessage}`
  return status === 101 ? 'a 101 answer that is not a WebSocket upgrade' : `unexpected status ${status}${text} (expected 101 Switching Protocols)`
}

function copy(value: string | readonly string[]): string | string[] {
  return typeof value === 'string' ? value : [...value]
}
