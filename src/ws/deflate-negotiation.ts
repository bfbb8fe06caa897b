// permessage-deflate negotiation (RFC 7692 section 7.1): the server accepts or declines each
// offer of a client's list; the client builds its offer and checks the server's answer.
import { type ExtensionOffer, formatExtensions } from './extension-header.ts'

export const EXTENSION_NAME = 'permessage-deflate'

/** What the endpoint wants (the same shape on both sides; each side reads it from its view). */
export interface DeflateConfig {
  /** Ask (client) or require (server) that the server resets its compression context per message. */
  serverNoContextTakeover?: boolean
  /** Ask (client) or require (server) that the client resets its compression context per message. */
  clientNoContextTakeover?: boolean
  /** Largest LZ77 window the server may use, 8..15 (2^n bytes). */
  serverMaxWindowBits?: number
  /** Largest LZ77 window the client may use, 8..15. */
  clientMaxWindowBits?: number
}

/** The agreement both endpoints follow after a successful negotiation. */
export interface DeflateParams {
  serverNoContextTakeover: boolean
  clientNoContextTakeover: boolean
  serverMaxWindowBits: number
  clientMaxWindowBits: number
}

/** The parameters of one offer or response, validated. */
interface RawParams {
  serverNoContextTakeover: boolean
  clientNoContextTakeover: boolean
  serverMaxWindowBits: number | undefined
  /** `true`: offered without a value ("I can honour a limit you choose"). */
  clientMaxWindowBits: number | true | undefined
}

function windowBits(value: string | true): number | undefined {
  return value !== true && /^(?:[89]|1[0-5])$/.test(value) ? Number(value) : undefined
}

/**
 * Validates the parameters of one permessage-deflate element; a string says why it is
 * invalid (unknown or duplicate parameter, bad value). `response` requires a value for
 * client_max_window_bits, which only an offer may leave out.
 */
export function parseDeflateParams(ext: ExtensionOffer, response: boolean): RawParams | string {
  const out: RawParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: undefined, clientMaxWindowBits: undefined }
  const seen = new Set<string>()
  for (const [rawName, value] of ext.params) {
    const name = rawName.toLowerCase()
    if (seen.has(name)) return `duplicate parameter ${name}`
    seen.add(name)
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return `${name} takes no value`
        if (name === 'server_no_context_takeover') out.serverNoContextTakeover = true
        else out.clientNoContextTakeover = true
        break
      case 'server_max_window_bits': {
        const bits = windowBits(value)
        if (bits === undefined) return `invalid ${name} value`
        out.serverMaxWindowBits = bits
        break
      }
      case 'client_max_window_bits': {
        if (value === true && !response) {
          out.clientMaxWindowBits = true
          break
        }
        const bits = windowBits(value)
        if (bits === undefined) return `invalid ${name} value`
        out.clientMaxWindowBits = bits
        break
      }
      default:
        return `unknown parameter ${name}`
    }
  }
  return out
}

function checkBits(name: string, bits: number | undefined): void {
  if (bits !== undefined && !(Number.isInteger(bits) && bits >= 8 && bits <= 15)) throw new RangeError(`${name} must be an integer from 8 to 15`)
}

/** Throws on a configuration that could never be negotiated. */
export function validateDeflateConfig(config: DeflateConfig): void {
  checkBits('serverMaxWindowBits', config.serverMaxWindowBits)
  checkBits('clientMaxWindowBits', config.clientMaxWindowBits)
}

/**
 * Server side: the first acceptable permessage-deflate offer of the client's list, with the
 * response element to send; `null` declines them all (the connection then goes uncompressed).
 * An offer is declined when its parameters are invalid, or when `config.clientMaxWindowBits`
 * asks for a smaller client window than the client said it can honour (it must offer
 * client_max_window_bits for the server to limit it).
 */
export function acceptDeflateOffer(offers: ExtensionOffer[], config: DeflateConfig): { params: DeflateParams; response: string } | null {
  for (const offer of offers) {
    if (offer.name.toLowerCase() !== EXTENSION_NAME) continue
    const p = parseDeflateParams(offer, false)
    if (typeof p === 'string') continue

    // The server may use a smaller window than the client allows, never a bigger one.
    let serverBits = config.serverMaxWindowBits ?? 15
    if (p.serverMaxWindowBits !== undefined) serverBits = Math.min(serverBits, p.serverMaxWindowBits)

    let clientBits = 15
    if (config.clientMaxWindowBits !== undefined && config.clientMaxWindowBits < 15) {
      if (p.clientMaxWindowBits === undefined) continue
      clientBits = config.clientMaxWindowBits
    }
    // A value in the offer is a hint that the client will not use more anyway.
    if (typeof p.clientMaxWindowBits === 'number') clientBits = Math.min(clientBits, p.clientMaxWindowBits)

    const params: DeflateParams = {
      serverNoContextTakeover: p.serverNoContextTakeover || config.serverNoContextTakeover === true,
      clientNoContextTakeover: p.clientNoContextTakeover || config.clientNoContextTakeover === true,
      serverMaxWindowBits: serverBits,
      clientMaxWindowBits: clientBits,
    }
    const response: ExtensionOffer = { name: EXTENSION_NAME, params: [] }
    if (params.serverNoContextTakeover) response.params.push(['server_no_context_takeover', true])
    if (params.clientNoContextTakeover) response.params.push(['client_no_context_takeover', true])
    if (serverBits < 15 || p.serverMaxWindowBits !== undefined) response.params.push(['server_max_window_bits', String(serverBits)])
    if (p.clientMaxWindowBits !== undefined && clientBits < 15) response.params.push(['client_max_window_bits', String(clientBits)])
    return { params, response: formatExtensions([response]) }
  }
  return null
}

/**
 * Client side: the offer to send. client_max_window_bits is always included (with the
 * configured value, or bare) so that a server may choose a smaller client window.
 */
export function deflateOffer(config: DeflateConfig): string {
  const offer: ExtensionOffer = { name: EXTENSION_NAME, params: [] }
  if (config.serverNoContextTakeover) offer.params.push(['server_no_context_takeover', true])
  if (config.clientNoContextTakeover) offer.params.push(['client_no_context_takeover', true])
  if (config.serverMaxWindowBits !== undefined) offer.params.push(['server_max_window_bits', String(config.serverMaxWindowBits)])
  offer.params.push(['client_max_window_bits', config.clientMaxWindowBits === undefined ? true : String(config.clientMaxWindowBits)])
  return formatExtensions([offer])
}

/**
 * Client side: checks the server's permessage-deflate response element against the offer
 * made from `config`; a string says why the handshake must fail.
 */
export function acceptDeflateResponse(response: ExtensionOffer, config: DeflateConfig): DeflateParams | string {
  if (response.name.toLowerCase() !== EXTENSION_NAME) return `unexpected extension ${response.name}`
  const p = parseDeflateParams(response, true)
  if (typeof p === 'string') return p
  // What the offer asked of the server, the server must confirm (RFC 7692 7.1.1.1, 7.1.2.1).
  if (config.serverNoContextTakeover && !p.serverNoContextTakeover) return 'server_no_context_takeover was offered but not accepted'
  if (config.serverMaxWindowBits !== undefined && (p.serverMaxWindowBits === undefined || p.serverMaxWindowBits > config.serverMaxWindowBits)) {
    return 'server_max_window_bits was offered but not accepted'
  }
  const clientLimit = typeof p.clientMaxWindowBits === 'number' ? p.clientMaxWindowBits : 15
  return {
    serverNoContextTakeover: p.serverNoContextTakeover,
    clientNoContextTakeover: p.clientNoContextTakeover || config.clientNoContextTakeover === true,
    serverMaxWindowBits: p.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: Math.min(clientLimit, config.clientMaxWindowBits ?? 15),
  }
}
