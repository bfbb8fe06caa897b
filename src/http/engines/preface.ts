import type { Server as NetServer, Socket } from 'node:net'
import type { EventEmitter } from 'node:events'

/** The client connection preface of HTTP/2 with prior knowledge (RFC 9113 §3.4). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/**
 * A 'connection' listener for cleartext HTTP/1.1 and HTTP/2 on one port: the first bytes a
 * client sends decide. An HTTP/1.1 request line can never begin with the preface ("PRI" is no
 * method anyone routes, and llhttp refuses `HTTP/2.0`), so comparing the bytes received so far
 * against the preface settles it, usually on the first packet: one comparison per connection,
 * none per request. The bytes read are put back (unshift) for whichever server takes the socket.
 *
 * `timeout` bounds how long a connection may stay silent before it is dropped: until it speaks
 * neither server has it, so neither server's own timeouts apply.
 */
export function prefaceSniffer(h1: EventEmitter, h2: (socket: Socket) => void, timeout: number): (socket: Socket) => void {
  return (socket) => {
    let seen: Buffer | null = null
    const onData = (chunk: Buffer): void => {
      const bytes = seen === null ? chunk : Buffer.concat([seen, chunk])
      const n = Math.min(bytes.length, PREFACE.length)
      const matches = bytes.compare(PREFACE, 0, n, 0, n) === 0
      if (matches && n < PREFACE.length) {
        // "PRI * HT" so far: wait for the rest before choosing.
        seen = bytes
        return
      }
      socket.off('data', onData)
      socket.off('error', onError)
      socket.setTimeout(0)
      socket.pause()
      socket.unshift(bytes)
      if (matches) {
        // node:http2 reads what is buffered on the socket on the next tick; resuming here would
        // hand those bytes to nobody.
        h2(socket)
      } else {
        h1.emit('connection', socket)
        socket.resume()
      }
    }
    const onError = (): void => void socket.destroy()
    socket.on('data', onData)
    socket.on('error', onError)
    socket.setTimeout(timeout, () => void socket.destroy())
  }
}

/** A server that never listens still needs its 'listening' and 'close' (node:http starts its timeout checks on 'listening'). */
export function mirrorLifecycle(front: NetServer, inner: NetServer): void {
  front.once('listening', () => inner.emit('listening'))
  front.once('close', () => inner.close())
}
