// Socket events of WebSocket connections. The listeners are shared functions that find their
// connection through a symbol on the socket: no closure per connection.
import type { Socket } from 'node:net'
import { OPEN } from './connection-send.ts'
import type { WebSocket } from './connection.ts'

const kConnection = Symbol('weft.ws')
type Owned = Socket & { [kConnection]: WebSocket<unknown> }

/** Routes the socket's events to `ws` (its `receive`, `onDrain` and `finish`). */
export function attachSocket(socket: Socket, ws: WebSocket<unknown>): void {
  ;(socket as Owned)[kConnection] = ws
  socket.setTimeout(0)
  socket.on('data', onSocketData)
  socket.on('drain', onSocketDrain)
  socket.on('end', onSocketEnd)
  socket.on('close', onSocketClose)
  socket.on('error', onSocketError)
}

function onSocketData(this: Owned, chunk: Buffer): void {
  this[kConnection].receive(chunk)
}

function onSocketDrain(this: Owned): void {
  this[kConnection].onDrain()
}

function onSocketEnd(this: Owned): void {
  const ws = this[kConnection]
  // Sockets allow half-open connections here: a peer that ended its side gets our end too
  // (after our close frame, if one is on its way), or at once when it left without closing.
  if (ws.readyState === OPEN) this.destroy()
  else this.end()
}

function onSocketClose(this: Owned): void {
  this[kConnection].finish()
}

function onSocketError(this: Owned): void {
  // ECONNRESET and the like: 'close' follows and reports 1006. Nothing to do but not crash.
}

/** The close timer's callback: the peer did not finish the close handshake in time. */
export function onCloseTimeout(ws: WebSocket<unknown>): void {
  ws.socket.destroy()
}
