import { App, serve, type Server, type ServeOptions, type Handler } from 'weft'

/** Starts a server on a free loopback port for one test and closes it afterwards. */
export async function withServer<T>(app: App | Handler, fn: (server: Server) => Promise<T>, options: ServeOptions = {}): Promise<T> {
  const server = await serve(app, { port: 0, ...options })
  try {
    return await fn(server)
  } finally {
    await server.close({ timeout: 1000 })
  }
}

export { App }
