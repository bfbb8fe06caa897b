// node:http's 'upgrade' event: requests with `Connection: upgrade` never reach the request
// handler, so they are routed here through the same app (params, middleware, hooks), and then
// either become a WebSocket (the route answered a WebSocketAccept) or get the route's answer
// written straight to the socket, which is then closed. Plain requests never pass here.
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { Request } from '../request.ts'
import type { Response } from '../response.ts'
import { statusText } from '../errors.ts'
import { UpgradeTransport, WebSocketAccept } from '../../ws/route.ts'
import type { WebSocketHub } from '../../ws/hub.ts'
import type { EngineHooks } from './node-h1.ts'
import { discard } from './write.ts'
import { dispatchSafely } from './dispatch.ts'

class NodeUpgradeTransport extends UpgradeTransport {
  private controller: AbortController | null = null
  constructor(
    private readonly incoming: IncomingMessage,
    private readonly socket: Duplex,
  ) {
    super()
  }
  get remoteAddress(): string {
    return this.incoming.socket.remoteAddress ?? ''
  }
  get encrypted(): boolean {
    return (this.incoming.socket as { encrypted?: boolean }).encrypted === true
  }
  get httpVersion(): string {
    return this.incoming.httpVersion
  }
  signal(): AbortSignal {
    if (this.controller === null) {
      const controller = (this.controller = new AbortController())
      if (this.socket.destroyed) controller.abort(new Error('client disconnected'))
      else this.socket.once('close', () => controller.abort(new Error('client disconnected')))
    }
    return this.controller.signal
  }
}

function ignore(): void {}

/** The 'upgrade' listener for a server whose app may have WebSocket routes. */
export function upgradeListener(hooks: EngineHooks, hub: WebSocketHub): (incoming: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (incoming, socket, head) => {
    // node:http took its listeners off the socket: without one, a reset would be unhandled.
    socket.on('error', ignore)
    if (hooks.closing()) return writeRaw(socket, 503, { 'retry-after': '1' }, null, false)
    const url = incoming.url ?? '/'
    if (url.charCodeAt(0) !== 47) return writeRaw(socket, 400, {}, null, false)
    const req = new Request(incoming.method ?? 'GET', url, incoming.headers, new NodeUpgradeTransport(incoming, socket), hooks.settings)
    const result = dispatchSafely(hooks, req)
    if (result instanceof Promise) void result.then((res) => finish(hooks, hub, req, socket, head, res))
    else finish(hooks, hub, req, socket, head, result)
  }
}

function finish(hooks: EngineHooks, hub: WebSocketHub, req: Request, socket: Duplex, head: Buffer, res: Response): void {
  if (socket.destroyed) {
    discard(res.body)
    return
  }
  if (res instanceof WebSocketAccept) {
    if (hooks.closing()) return writeRaw(socket, 503, { 'retry-after': '1' }, null, false)
    hub.accept(socket as Socket, head, res)
    return
  }
  writeRaw(socket, res.status, res.headers.map, res.body, req.method === 'HEAD')
}

/** Headers the raw writer sets itself. */
const FRAMING = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade'])

/**
 * Writes a complete HTTP/1.1 answer on the raw socket and closes it. The request asked to
 * switch protocols, so the connection is not reused; a streamed body ends with the connection.
 */
function writeRaw(socket: Duplex, status: number, headers: Record<string, string | string[]>, body: Response['body'], head: boolean): void {
  if (!(Number.isInteger(status) && status >= 200 && status <= 999)) status = 500
  let out = `HTTP/1.1 ${status} ${statusText(status)}\r\nconnection: close\r\n`
  for (const name in headers) {
    if (FRAMING.has(name)) continue
    const value = headers[name]!
    for (const v of typeof value === 'string' ? [value] : value) {
      if (/[\r\n]/.test(v) || /[\r\n:]/.test(name)) continue
      out += `${name}: ${v}\r\n`
    }
  }
  const noBody = status === 204 || status === 304
  if (body === null || noBody || typeof body === 'string' || body instanceof Uint8Array) {
    const bytes: Uint8Array | null = body === null || noBody ? null : typeof body === 'string' ? Buffer.from(body) : (body as Uint8Array)
    if (!noBody) out += `content-length: ${bytes === null ? 0 : bytes.length}\r\n`
    socket.write(`${out}\r\n`, 'latin1')
    if (bytes !== null && !head) socket.write(bytes)
    endSoon(socket)
    return
  }
  socket.write(`${out}\r\n`, 'latin1')
  if (head) {
    discard(body)
    endSoon(socket)
    return
  }
  void pumpRaw(socket, body as AsyncIterable<Uint8Array | string>)
}

async function pumpRaw(socket: Duplex, body: AsyncIterable<Uint8Array | string>): Promise<void> {
  try {
    for await (const chunk of body) {
      if (socket.destroyed) break
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve))
    }
  } catch {
    socket.destroy()
    return
  }
  endSoon(socket)
}

/** Ends the socket once written; a peer that does not read it loses it after a second. */
function endSoon(socket: Duplex): void {
  socket.end()
  setTimeout(() => socket.destroy(), 1000).unref()
}
