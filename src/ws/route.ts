// A WebSocket route as `app.ws()` registers it: a GET handler that runs after routing and
// middleware and decides the upgrade (checks, origin, subprotocol, deflate, the `upgrade`
// hook). It answers with a WebSocketAccept, which the server engine turns into the 101 and a
// connection; any other Response refuses the upgrade and is written as a plain HTTP answer.
import type { Request, RequestTransport } from '../http/request.ts'
import { Response, text } from '../http/response.ts'
import { type DeflateConfig, type DeflateParams, acceptDeflateOffer, validateDeflateConfig } from './deflate-negotiation.ts'
import { DEFAULT_MAX_PAYLOAD } from './frame-parser.ts'
import { checkUpgradeRequest } from './handshake.ts'
import type { GroupSettings } from './heartbeat.ts'
import type { DeflateOptions } from './permessage-deflate.ts'
import type { WebSocketHandlers, WebSocketRouteOptions } from './types.ts'

export const WS_DEFAULTS = {
  maxPayload: DEFAULT_MAX_PAYLOAD,
  maxBackpressure: 4 * 1024 * 1024,
  idleTimeout: 120_000,
  heartbeat: 30_000,
  closeTimeout: 5_000,
} as const

/**
 * The request transport of an upgrade request (the engine's; defined here so the route can tell
 * an upgrade it can complete from a plain GET that reached a WebSocket path).
 */
export abstract class UpgradeTransport implements RequestTransport {
  abstract readonly remoteAddress: string
  abstract readonly encrypted: boolean
  abstract readonly httpVersion: string
  body(): AsyncIterator<Uint8Array> | null {
    return null
  }
  abstract signal(): AbortSignal
}

/** The answer that completes an upgrade: status 101, with what the handshake agreed. */
export class WebSocketAccept extends Response {
  constructor(
    readonly route: WebSocketRoute,
    readonly key: string,
    readonly protocol: string | undefined,
    readonly deflate: { params: DeflateParams; response: string } | null,
    readonly data: unknown,
  ) {
    super(null, { status: 101 })
  }
}

type Options = WebSocketRouteOptions<Record<string, string>>
type AnyHandlers = WebSocketHandlers<unknown, Record<string, string>>

export class WebSocketRoute {
  readonly settings: GroupSettings
  private readonly handlers: AnyHandlers
  private readonly options: Options
  private readonly deflateConfig: DeflateConfig | null
  private readonly originCheck: ((origin: string | undefined, req: Request) => boolean) | null

  constructor(handlers: AnyHandlers, options: Options = {}) {
    if (handlers === null || typeof handlers !== 'object') throw new TypeError('app.ws() needs a handlers object')
    this.handlers = handlers
    this.options = options
    const deflate = options.deflate ?? false
    let deflateOptions: Omit<DeflateOptions, 'limiter'> = {}
    if (deflate === false) this.deflateConfig = null
    else {
      const config = deflate === true ? {} : deflate
      validateDeflateConfig(config)
      // The server resets its compression context per message by default: its memory per
      // connection stays bounded, and a broadcast can share one compressed frame.
      this.deflateConfig = { serverNoContextTakeover: true, ...config }
      deflateOptions = { threshold: config.threshold, level: config.level, memLevel: config.memLevel }
    }
    this.originCheck = originChecker(options.origin)
    const heartbeat = options.heartbeat ?? true
    const interval = heartbeat === false ? 0 : heartbeat === true ? WS_DEFAULTS.heartbeat : typeof heartbeat === 'number' ? heartbeat : (heartbeat.interval ?? WS_DEFAULTS.heartbeat)
    this.settings = {
      handlers: handlers as WebSocketHandlers<never>,
      maxPayload: positive('maxPayload', options.maxPayload, WS_DEFAULTS.maxPayload),
      maxBackpressure: positive('maxBackpressure', options.maxBackpressure, WS_DEFAULTS.maxBackpressure),
      closeTimeout: positive('closeTimeout', options.closeTimeout, WS_DEFAULTS.closeTimeout),
      idleTimeout: positive('idleTimeout', options.idleTimeout, WS_DEFAULTS.idleTimeout, true),
      heartbeat: positive('heartbeat', interval, 0, true),
      deflateOptions: stripUndefined(deflateOptions),
    }
  }

  /** The route handler (bound: the router stores it as a plain function). */
  readonly handle = (req: Request): Response | Promise<Response> => {
    if (!(req.transport instanceof UpgradeTransport)) {
      // A GET without an upgrade (the engine sends every upgrade request the other way).
      return text('Upgrade Required\n', { status: 426, headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13' } })
    }
    const check = checkUpgradeRequest(req.method, req.headers)
    if (!check.ok) return text(`${check.message}\n`, { status: check.status, headers: check.headers })
    if (this.originCheck !== null) {
      const origin = req.header('origin')
      if (!this.originCheck(origin, req)) return text('Forbidden origin\n', { status: 403 })
    }
    let protocol: string | undefined
    if (check.protocols.length > 0) {
      const { selectProtocol, protocols } = this.options
      if (selectProtocol !== undefined) {
        protocol = selectProtocol(check.protocols, req)
        if (protocol !== undefined && !check.protocols.includes(protocol)) throw new Error(`selectProtocol returned ${protocol}, which the client did not offer`)
      } else if (protocols !== undefined) {
        protocol = protocols.find((p) => check.protocols.includes(p))
      }
    }
    const deflate = this.deflateConfig === null ? null : acceptDeflateOffer(check.extensions, this.deflateConfig)
    const hook = this.handlers.upgrade
    if (hook === undefined) return new WebSocketAccept(this, check.key, protocol, deflate, undefined)
    const out = hook(req)
    if (out instanceof Promise) return out.then((data) => (data instanceof Response ? data : new WebSocketAccept(this, check.key, protocol, deflate, data)))
    return out instanceof Response ? out : new WebSocketAccept(this, check.key, protocol, deflate, out)
  }
}

function originChecker(option: Options['origin']): ((origin: string | undefined, req: Request) => boolean) | null {
  if (option === undefined) return null
  if (typeof option === 'function') return option
  if (typeof option === 'string') return (origin) => origin === option
  if (option instanceof RegExp) return (origin) => origin !== undefined && option.test(origin)
  const list = [...option]
  return (origin) => origin !== undefined && list.includes(origin)
}

function positive(name: string, value: number | undefined, fallback: number, zeroOk = false): number {
  if (value === undefined) return fallback
  if (!(value > 0 || (zeroOk && value === 0))) throw new RangeError(`${name} must be a positive number${zeroOk ? ' or 0' : ''}`)
  return value
}

function stripUndefined<T extends object>(o: T): T {
  const out = {} as T
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] !== undefined) out[k] = o[k]
  return out
}
