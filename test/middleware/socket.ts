import { connect } from 'node:net'
import { serve, type App, type Server } from 'weft'

/** Serves `app` on a free loopback port for the duration of `fn`. */
export async function withServer<T>(app: App, fn: (server: Server) => Promise<T>): Promise<T> {
  const server = await serve(app, { port: 0, host: '127.0.0.1' })
  try {
    return await fn(server)
  } finally {
    await server.close({ timeout: 1000 })
  }
}

/**
 * Writes raw bytes to the server and collects everything it sends back until it closes the
 * connection: for requests no well-behaved client would send (a Content-Length without the
 * body to go with it).
 */
export function rawExchange(server: Server, chunks: readonly (string | Buffer)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1')
    const received: Buffer[] = []
    socket.on('data', (d: Buffer) => received.push(d))
    socket.on('error', reject)
    socket.on('end', () => {
      socket.end()
      resolve(Buffer.concat(received).toString('latin1'))
    })
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c)
    })
  })
}
