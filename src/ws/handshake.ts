// The opening handshake (RFC 6455 section 4): validation of a client's upgrade request, the
// server's 101 response, and the client's check of that response. Header records are
// lower-case names to string (or string[] for repeated fields), as node:http gives them.
import { createHash, randomBytes } from 'node:crypto'
import { type ExtensionOffer, headerValue, parseExtensions, parseSubprotocols } from './extension-header.ts'

/** The GUID of RFC 6455 section 1.3, appended to the key before hashing. */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

export type HeaderRecord = Record<string, string | string[] | undefined>

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64')
}

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64. */
export function generateKey(): string {
  return randomBytes(16).toString('base64')
}

/** The base64 form of 16 bytes: 22 characters and "==" (any that decode to 16 bytes). */
const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/

/** Whether a header holds `token` in its comma-separated list, ASCII case-insensitively. */
export function hasToken(value: string | string[] | undefined, token: string): boolean {
  const joined = headerValue(value)
  if (joined === undefined) return false
  for (const part of joined.split(',')) if (part.trim().toLowerCase() === token) return true
  return false
}

export type UpgradeRequestCheck =
  | {
      ok: true
      key: string
      /** Subprotocols the client offered, in its order of preference. */
      protocols: string[]
      /** Extensions the client offered (permessage-deflate offers among them). */
      extensions: ExtensionOffer[]
    }
  | {
      ok: false
      status: number
      message: string
      headers: Record<string, string>
    }

function refuse(status: number, message: string, headers: Record<string, string> = {}): UpgradeRequestCheck {
  return { ok: false, status, message, headers }
}

/**
 * Checks a request that asks for a WebSocket upgrade (RFC 6455 4.2.1). On failure, answer with
 * `status` and `headers`: 405 for a method other than GET, 426 with Sec-WebSocket-Version: 13
 * for a missing or other version, 400 for the rest.
 */
export function checkUpgradeRequest(method: string, headers: HeaderRecord): UpgradeRequestCheck {
  if (method !== 'GET') return refuse(405, 'a WebSocket upgrade must use GET', { allow: 'GET' })
  if (!hasToken(headers['upgrade'], 'websocket')) return refuse(400, 'the Upgrade header must name websocket')
  if (!hasToken(headers['connection'], 'upgrade')) return refuse(400, 'the Connection header must include upgrade')
  const version = headerValue(headers['sec-websocket-version'])?.trim()
  if (version !== '13') return refuse(426, 'only WebSocket version 13 is supported', { 'sec-websocket-version': '13' })
  const key = headers['sec-websocket-key']
  if (typeof key !== 'string' || !KEY_PATTERN.test(key.trim())) return refuse(400, 'Sec-WebSocket-Key must be 16 bytes in base64')

  const protocolHeader = headerValue(headers['sec-websocket-protocol'])
  const protocols = protocolHeader === undefined ? [] : parseSubprotocols(protocolHeader)
  if (protocols === null) return refuse(400, 'invalid Sec-WebSocket-Protocol header')
  const extensionHeader = headerValue(headers['sec-websocket-extensions'])
  const extensions = extensionHeader === undefined ? [] : parseExtensions(extensionHeader)
  if (extensions === null) return refuse(400, 'invalid Sec-WebSocket-Extensions header')
  return { ok: true, key: key.trim(), protocols, extensions }
}

/**
 * The 101 response head, ready to write to the socket. `extra` headers must not contain CR or
 * LF (checked: they would split the response).
 */
export function upgradeResponseHead(key: string, protocol?: string, extensions?: string, extra?: Record<string, string | readonly string[]>): string {
  let head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n`
  if (protocol !== undefined) head += `Sec-WebSocket-Protocol: ${protocol}\r\n`
  if (extensions !== undefined && extensions !== '') head += `Sec-WebSocket-Extensions: ${extensions}\r\n`
  if (extra !== undefined) {
    for (const name of Object.keys(extra)) {
      const value = extra[name]!
      // A list (Set-Cookie) is written as one line per value: such headers cannot be joined.
      for (const v of typeof value === 'string' ? [value] : value) {
        if (/[\r\n]/.test(name) || /[\r\n]/.test(v)) throw new TypeError(`invalid header ${name}`)
        head += `${name}: ${v}\r\n`
      }
    }
  }
  return head + '\r\n'
}

export type UpgradeResponseCheck =
  | { ok: true; protocol: string | undefined; extensions: ExtensionOffer[] }
  | { ok: false; message: string }

/**
 * Client side: checks the server's answer (RFC 6455 4.1): 101, Upgrade and Connection, the
 * accept value for our key, a subprotocol only from those offered (none at all is allowed),
 * and extensions only by names offered, each at most once; the caller then checks the
 * permessage-deflate parameters with `acceptDeflateResponse`.
 */
export function checkUpgradeResponse(
  status: number,
  headers: HeaderRecord,
  key: string,
  offeredProtocols: readonly string[],
  offeredExtensions: readonly string[],
): UpgradeResponseCheck {
  if (status !== 101) return { ok: false, message: `unexpected status ${status}` }
  if (!hasToken(headers['upgrade'], 'websocket')) return { ok: false, message: 'the Upgrade header must name websocket' }
  if (!hasToken(headers['connection'], 'upgrade')) return { ok: false, message: 'the Connection header must include upgrade' }
  if (headerValue(headers['sec-websocket-accept'])?.trim() !== acceptKey(key)) return { ok: false, message: 'invalid Sec-WebSocket-Accept' }

  const protocolHeader = headerValue(headers['sec-websocket-protocol'])
  let protocol: string | undefined
  if (protocolHeader !== undefined) {
    protocol = protocolHeader.trim()
    if (!offeredProtocols.includes(protocol)) return { ok: false, message: `the server chose a subprotocol that was not offered: ${protocol}` }
  }

  const extensionHeader = headerValue(headers['sec-websocket-extensions'])
  let extensions: ExtensionOffer[] = []
  if (extensionHeader !== undefined) {
    const parsed = parseExtensions(extensionHeader)
    if (parsed === null) return { ok: false, message: 'invalid Sec-WebSocket-Extensions header' }
    const seen = new Set<string>()
    for (const ext of parsed) {
      const name = ext.name.toLowerCase()
      if (!offeredExtensions.includes(name)) return { ok: false, message: `the server accepted an extension that was not offered: ${ext.name}` }
      if (seen.has(name)) return { ok: false, message: `the server accepted ${ext.name} twice` }
      seen.add(name)
    }
    extensions = parsed
  }
  return { ok: true, protocol, extensions }
}
