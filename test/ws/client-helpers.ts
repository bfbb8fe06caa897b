// Helpers for the WebSocket client tests: a `ws` server on a free port, a raw node:net server
// that answers the handshake by hand, and a bounded reader of a client's events.
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type ServerOptions } from 'ws'
import type { WebSocketClient, WebSocketMessage, CloseInfo } from 'weft/ws'
import { acceptKey } from 'weft/ws'
import { within } from '../helpers/wait.ts'

export { within }

export interface WsPeer {
  wss: WebSocketServer
  url: string
  close(): Promise<void>
}

/** A `ws` server on 127.0.0.1 and a free port. */
export async function wsServer(options: ServerOptions = {}): Promise<WsPeer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options })
  await within(new Promise<void>((resolve) => wss.once('listening', () => resolve())), 5000, 'the ws server to listen')
  const port = (wss.address() as AddressInfo).port
  return {
    wss,
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      within(
        new Promise<void>((resolve) => {
          for (const c of wss.clients) c.terminate()
          wss.close(() => resolve())
        }),
        5000,
        'the ws server to close',
      ),
  }
}

/** A raw server: `answer(requestHead, socket)` writes whatever it wants after reading the request head. */
export async function rawServer(answer: (head: string, socket: Socket) => void): Promise<{ url: string; server: NetServer; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buf = ''
    socket.setEncoding('latin1')
    socket.on('data', function onData(s: string) {
      buf += s
      if (!buf.includes('\r\n\r\n')) return
      socket.off('data', onData)
      answer(buf, socket)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `ws://127.0.0.1:${port}/`,
    server,
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The Sec-WebSocket-Key of a raw request head. */
export function requestKey(head: string): string {
  return /sec-websocket-key: *(\S+)/i.exec(head)![1]!
}

/** A correct 101 for `head`, with extra header lines. */
export function good101(head: string, extra = ''): string {
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(requestKey(head))}\r\n${extra}\r\n`
}

/** Records a client's messages from creation; `next()` waits (bounded) for the next one. */
export class Messages {
  private readonly items: WebSocketMessage[] = []
  private waiter: (() => void) | null = null

  constructor(client: WebSocketClient) {
    client.on('message', (m) => {
      this.items.push(m)
      this.waiter?.()
    })
  }

  async next(ms = 5000): Promise<WebSocketMessage> {
    if (this.items.length === 0) {
      await within(new Promise<void>((resolve) => (this.waiter = resolve)), ms, 'a message')
      this.waiter = null
    }
    return this.items.shift()!
  }
}

/** The client's final close (bounded). */
export function closedWithin(client: WebSocketClient, ms = 8000): Promise<CloseInfo> {
  return within(client.closed, ms, 'the client to close')
}

/** The first event of `name` (bounded). */
export function nextEvent<T>(on: (fn: (value: T) => void) => void, ms = 5000, what = 'an event'): Promise<T> {
  return within(new Promise<T>((resolve) => on(resolve)), ms, what)
}
