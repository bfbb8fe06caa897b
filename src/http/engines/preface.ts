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
 * `timeout` bounds how long a connection may take to send the preface (or a first byte that
 * differs from it) before it is dropped: until then neither server has it, so neither
 * server's own timeouts apply. `prefacePeeker` below is what servers use; this reads a whole
 * first packet and stays as its fallback for a Node whose sockets it cannot read that way.
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
      clearTimeout(deadline)
      socket.pause()
      handOver(socket, bytes, matches, h1, h2)
    }
    const onError = (): void => void socket.destroy()
    socket.on('data', onData)
    socket.on('error', onError)
    const deadline = setTimeout(() => void socket.destroy(), timeout)
    socket.once('close', () => clearTimeout(deadline))
  }
}

/** The parts of an accepted socket's libuv handle the peek relies on (node internals, checked before use). */
interface ReadHandle {
  useUserBuffer(buffer: Uint8Array): void
}

/**
 * The three fields through which node:net reads into a caller's buffer (`onread` in
 * `new Socket()`): the buffer, the callback, and the function giving the next buffer. They are
 * private symbols, found once by name on an accepted socket, where each is an own property set
 * to null.
 */
interface ReadFields {
  readonly buffer: symbol
  readonly callback: symbol
  readonly next: symbol
}

type AcceptedSocket = Socket & { _handle: ReadHandle | null } & Record<symbol, unknown>

let readFields: ReadFields | null | undefined

function findReadFields(socket: AcceptedSocket): ReadFields | null {
  const named = (name: string): symbol | undefined => Object.getOwnPropertySymbols(socket).find((key) => key.description === name && socket[key] === null)
  const buffer = named('kBuffer')
  const callback = named('kBufferCb')
  const next = named('kBufferGen')
  return buffer === undefined || callback === undefined || next === undefined ? null : { buffer, callback, next }
}

/** The read fields, when this Node's accepted sockets have them and this one is untouched. */
function peekable(socket: AcceptedSocket): ReadFields | null {
  const handle = socket._handle
  if (handle === null || typeof handle !== 'object' || typeof handle.useUserBuffer !== 'function') return null
  if (readFields === undefined) readFields = findReadFields(socket)
  const fields = readFields
  if (fields === null || socket[fields.buffer] !== null || socket[fields.callback] !== null || socket[fields.next] !== null) return null
  return fields
}

/**
 * Like `prefaceSniffer`, but reads no byte past the preface: the accepted socket is set to read
 * into a buffer of ours sized to what the preface still lacks (as `new Socket({ onread })`
 * would have set it up), so the kernel keeps the client's first requests. Why it matters:
 * node:http2 feeds whatever was read before the session existed in one call from JavaScript,
 * and node drains the tick queue only after a call from C++ returns, so a first flight of 100
 * requests then runs as one burst with all their pending work alive at once. Enough
 * short-lived objects survive a scavenge there that V8 starts allocating node's per-stream
 * objects in old space for the rest of the process (allocation-site pretenuring), and
 * throughput falls by a third. Read by the session itself, each request's work is drained as it
 * is answered.
 *
 * The socket node accepted is the one that carries the connection: a second Socket built over
 * its handle would do as well for the bytes, but every Socket node constructs copies its
 * options into an object of a new shape once there have been a few, and the stream code shared
 * with every HTTP/2 stream then reads them through megamorphic caches. One socket per
 * connection keeps that as rare as on a plain node:http2 server.
 *
 * The front server must accept with `pauseOnConnect`, so no byte has been read yet. After an
 * HTTP/1.1 connection has been handed on, node:http reads through its own parser; should the
 * parser let go (a WebSocket upgrade), reads come back here and are copied into the stream,
 * as node would have pushed them.
 *
 * `adopt` is told of each connection; `timeout` bounds the whole preface, not the gap between
 * bytes.
 */
export function prefacePeeker(h1: EventEmitter, h2: (socket: Socket) => void, timeout: number, adopt: (socket: Socket) => void): (socket: Socket) => void {
  return (accepted) => {
    adopt(accepted)
    const socket = accepted as AcceptedSocket
    const fields = peekable(socket)
    if (fields === null) {
      prefaceSniffer(h1, h2, timeout)(accepted)
      accepted.resume()
      return
    }
    const seen: Buffer[] = []
    let matched = 0
    let decided = false
    const onRead = (n: number, buffer: Buffer): boolean => {
      if (decided) return socket.push(Buffer.from(buffer.subarray(0, n)))
      // A fresh buffer per read (below): keeping a view of it is safe.
      const bytes = buffer.subarray(0, n)
      seen.push(bytes)
      const isPreface = bytes.compare(PREFACE, matched, matched + n) === 0
      matched += n
      if (isPreface && matched < PREFACE.length) return true
      decided = true
      // Returning false stops reading; the socket changes hands once node's read callback is done.
      process.nextTick(decide, isPreface)
      return false
    }
    const nextBuffer = (): Buffer => decided ? sharedReadBuffer() : Buffer.allocUnsafe(PREFACE.length - matched)
    const first = nextBuffer()
    socket[fields.buffer] = first
    socket[fields.next] = nextBuffer
    socket[fields.callback] = onRead
    socket._handle!.useUserBuffer(first)
    const deadline = setTimeout(() => void socket.destroy(), timeout)
    const onError = (): void => void socket.destroy()
    socket.on('error', onError)
    socket.once('close', () => clearTimeout(deadline))
    const decide = (isPreface: boolean): void => {
      clearTimeout(deadline)
      socket.off('error', onError)
      if (!socket.destroyed) handOver(socket, seen.length === 1 ? seen[0]! : Buffer.concat(seen), isPreface, h1, h2)
    }
    // Starts the handle reading without making the stream flow: nothing is pushed until decided.
    socket.read(0)
  }
}

/** Puts the bytes read back on the (paused) socket and gives it to the engine they chose. */
function handOver(socket: Socket, bytes: Buffer, isPreface: boolean, h1: EventEmitter, h2: (socket: Socket) => void): void {
  socket.unshift(bytes)
  if (isPreface) {
    // node:http2 reads what is buffered on the socket on the next tick; resuming here would
    // hand those bytes to nobody.
    h2(socket)
  } else {
    h1.emit('connection', socket)
    socket.resume()
  }
}

let shared: Buffer | null = null
/**
 * One read buffer for every connection past its preface: each read is copied out in the
 * callback that follows it at once (libuv reads one handle at a time), so no connection
 * keeps 64 KiB of its own.
 */
function sharedReadBuffer(): Buffer {
  return (shared ??= Buffer.allocUnsafe(65536))
}

/** A server that never listens still needs its 'listening' and 'close' (node:http starts its timeout checks on 'listening'). */
export function mirrorLifecycle(front: NetServer, inner: NetServer): void {
  front.once('listening', () => inner.emit('listening'))
  front.once('close', () => inner.close())
}
