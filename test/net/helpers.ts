import { createServer, type Server, type Socket } from 'node:net'
import { once } from 'node:events'
export { within } from '../helpers/wait.ts'

/** Whether `p` is still pending after a few event-loop turns (and a short grace period). */
export async function stillPending(p: Promise<unknown>, graceMs = 50): Promise<boolean> {
  let settled = false
  p.then(
    () => (settled = true),
    () => (settled = true),
  )
  await new Promise((r) => setTimeout(r, graceMs))
  return !settled
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export const text = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')

/** A plain node:net server on a loopback port as the peer; `onSocket` drives each connection. */
export async function nodePeer(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    onSocket(socket)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    server,
    port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

/** Reads a node:net socket to its end (without destroying it, as for-await would). */
export function readAll(socket: Socket): Promise<Buffer> {
  const parts: Buffer[] = []
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => parts.push(chunk))
    socket.once('end', () => resolve(Buffer.concat(parts)))
    socket.once('error', reject)
  })
}

/** Whether a node:net socket drained within `ms` (false: still blocked). */
export function drainedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = (): void => {
      clearTimeout(timer)
      resolve(true)
    }
    const timer = setTimeout(() => {
      socket.off('drain', onDrain)
      resolve(false)
    }, ms)
    socket.once('drain', onDrain)
  })
}
