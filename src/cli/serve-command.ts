import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { App } from '../app/app.ts'
import { serve, type Server } from '../http/serve.ts'
import { compress } from '../middleware/compress.ts'
import { cors } from '../middleware/cors.ts'
import type { ServeConfig } from './args.ts'
import { isTlsConfigError } from '../tls/errors.ts'

/** Where the command writes: injectable so tests of the wiring need no process. */
export interface Output {
  out: (line: string) => void
  err: (line: string) => void
}

/** A folder that cannot be served: reported like a usage mistake (exit code 2). */
export class DirectoryError extends Error {}

/** The app `weft serve` runs: the folder at `/`, with CORS and compression as asked. */
export function buildServeApp(config: ServeConfig): App {
  const root = resolve(config.dir)
  let isDir = false
  try {
    isDir = statSync(root).isDirectory()
  } catch {
    throw new DirectoryError(`no such directory: ${config.dir}`)
  }
  if (!isDir) throw new DirectoryError(`not a directory: ${config.dir}`)

  const app = new App()
  // CORS outermost, so that its headers reach every answer, compressed or not.
  if (config.cors) app.use(cors())
  if (config.compress) app.use(compress())
  app.static('/', root, { spa: config.spa, listing: config.listing, maxAge: config.maxAge })
  return app
}

/**
 * Serves until SIGINT or SIGTERM, then closes gracefully: requests in flight finish (up to a
 * few seconds; long downloads and event streams are cut then) and the process exits 0. A
 * second signal exits at once. Resolves with the exit code once the server has closed.
 */
export async function runServe(config: ServeConfig, output: Output): Promise<number> {
  const app = buildServeApp(config)
  let server: Server
  try {
    server = await serve(app, { port: config.port, host: config.host, ...(config.tls === null ? {} : { tls: config.tls, http2: true }) })
  } catch (error) {
    if (isTlsConfigError(error)) {
      // A missing file, a key that does not match: the message names the option and the reason.
      output.err(`weft serve: cannot use the TLS certificate: ${error.message}`)
      return 2
    }
    const e = error as NodeJS.ErrnoException
    const why = e.code === 'EADDRINUSE' ? `port ${config.port} is in use` : e.code === 'EADDRNOTAVAIL' ? `${config.host} is not an address of this machine` : e.message
    output.err(`weft serve: cannot listen on ${config.host}:${config.port}: ${why}`)
    return 1
  }

  return new Promise<number>((done) => {
    let stopping = false
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // Asked twice: the user does not want to wait for slow clients.
        process.exit(130)
      }
      stopping = true
      output.err(`weft serve: ${signal}, closing`)
      void server.close({ timeout: 5_000 }).then(() => {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        done(0)
      })
    }
    // Listeners go in before the address is printed: a SIGTERM sent by whoever reads that
    // line must find them, or it would kill the process without a graceful close.
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    output.out(`listening on ${server.url}`)
  })
}
