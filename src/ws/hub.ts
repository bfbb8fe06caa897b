// The WebSocket side of one server: completes accepted upgrades on their sockets, keeps the
// connections by route (each route's group runs the heartbeat sweep), and closes them all
// with 1001 on graceful shutdown.
import type { Socket } from 'node:net'
import { CloseCode } from './close-codes.ts'
import { WebSocket } from './connection.ts'
import { upgradeResponseHead } from './handshake.ts'
import { ConnectionGroup } from './heartbeat.ts'
import { PerMessageDeflate } from './permessage-deflate.ts'
import type { PubSub } from './pubsub.ts'
import type { WebSocketAccept, WebSocketRoute } from './route.ts'

/** Response headers that belong to the handshake itself and are never copied from a 101 Response. */
const OWN_HEADERS = new Set(['connection', 'upgrade', 'content-length', 'content-type', 'transfer-encoding', 'keep-alive', 'sec-websocket-accept', 'sec-websocket-protocol', 'sec-websocket-extensions'])

export class WebSocketHub {
  private readonly groups = new Map<WebSocketRoute, ConnectionGroup>()

  constructor(private readonly pubsub: PubSub | null) {}

  /** Open connections, over every route. */
  get size(): number {
    let n = 0
    for (const g of this.groups.values()) n += g.connections.size
    return n
  }

  /** Writes the 101 and starts the connection; `head` holds bytes that came after the request. */
  accept(socket: Socket, head: Buffer, accept: WebSocketAccept): void {
    let group = this.groups.get(accept.route)
    if (group === undefined) this.groups.set(accept.route, (group = new ConnectionGroup(accept.route.settings, this.pubsub)))
    let extra: Record<string, string | string[]> | undefined
    const map = accept.headers.map
    for (const name in map) {
      if (OWN_HEADERS.has(name)) continue
      ;(extra ??= {})[name] = map[name]!
    }
    const head101 = upgradeResponseHead(accept.key, accept.protocol, accept.deflate?.response, extra)
    const deflate = accept.deflate === null ? null : new PerMessageDeflate('server', accept.deflate.params, group.deflateOptions)
    const ws = new WebSocket<never>(socket, 'server', group, deflate, accept.data as never, accept.protocol ?? '', accept.deflate?.response ?? '')
    socket.write(head101, 'latin1')
    group.add(ws)
    ws.start(head.length > 0 ? head : null)
  }

  /** Graceful shutdown: every open connection gets a close 1001 and its close timeout. */
  closeAll(): void {
    for (const group of this.groups.values()) {
      for (const ws of group.connections) ws.close(CloseCode.GoingAway, 'server shutting down')
    }
  }

  /** The deadline: whatever is left goes now. */
  terminateAll(): void {
    for (const group of this.groups.values()) for (const ws of group.connections) ws.terminate()
  }
}
