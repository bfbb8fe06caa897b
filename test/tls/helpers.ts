// Shared pieces for the TLS tests: the committed fixtures (scripts/make-test-certs.sh), a
// node:tls server wired with a TlsServerConfig on a loopback port, a Node client that reports
// how its handshake went, and `openssl s_client` as a real peer. Every wait is bounded.
import { createServer, connect, type Server, type TLSSocket, type ConnectionOptions } from 'node:tls'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { TlsServerConfig, type TlsServerOptions } from 'weft/tls'
import { within } from '../helpers/wait.ts'
export { within } from '../helpers/wait.ts'

export const FIXTURES = fileURLToPath(new URL('../fixtures/tls/', import.meta.url))
export const fixture = (name: string): string => `${FIXTURES}${name}`
export const pem = (name: string): string => readFileSync(fixture(name), 'utf8')
export const PASSPHRASE = readFileSync(fixture('passphrase.txt'), 'utf8').trim()
export const CA = pem('ca.pem')
export const LOCALHOST = { cert: fixture('localhost.pem'), key: fixture('localhost.key') }

export interface TestServer {
  server: Server
  config: TlsServerConfig
  port: number
  /** Sockets that completed a handshake, in order. */
  accepted: TLSSocket[]
  /** Handshake failures seen by the server. */
  clientErrors: Error[]
  close(): Promise<void>
}

/**
 * A TLS server on 127.0.0.1 that writes `greeting(socket)` to each connection and then waits
 * for the client to end (so a client can read the session ticket that follows the handshake);
 * or, with endAfterGreeting, ends at once (for `openssl s_client -ign_eof`).
 */
export async function startServer(
  options: TlsServerOptions | TlsServerConfig,
  greeting: (s: TLSSocket) => string = (s) => `${s.servername || '-'} ${s.alpnProtocol || '-'}\n`,
  { endAfterGreeting = false } = {},
): Promise<TestServer> {
  const config = options instanceof TlsServerConfig ? options : new TlsServerConfig(options)
  const accepted: TLSSocket[] = []
  const clientErrors: Error[] = []
  const server = createServer(config.serverOptions(), (socket) => {
    accepted.push(socket)
    socket.on('error', () => {})
    socket.write(greeting(socket))
    if (endAfterGreeting) socket.end()
    else socket.on('end', () => socket.end())
  })
  config.attach(server)
  server.on('tlsClientError', (error) => clientErrors.push(error))
  server.listen(0, '127.0.0.1')
  await within(once(server, 'listening'), 5000, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    server,
    config,
    port,
    accepted,
    clientErrors,
    close: async () => {
      for (const s of accepted) s.destroy()
      config.close()
      await within(new Promise<void>((r) => server.close(() => r())), 5000, 'server close')
    },
  }
}

export interface ClientResult {
  socket: TLSSocket
  /** The first line the server wrote. */
  line: string
}

/** Connects with node:tls and resolves after the first line; rejects on handshake failure. */
export async function dial(port: number, options: ConnectionOptions = {}): Promise<ClientResult> {
  const socket = connect({ host: '127.0.0.1', port, ca: CA, servername: 'localhost', ...options })
  const line = new Promise<string>((resolve, reject) => {
    let buffered = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buffered += chunk
      const nl = buffered.indexOf('\n')
      if (nl >= 0) resolve(buffered.slice(0, nl))
    })
    socket.once('error', reject)
    socket.once('end', () => reject(new Error(`server ended before a line (got "${buffered}")`)))
  })
  try {
    return { socket, line: await within(line, 10_000, 'the server greeting') }
  } catch (error) {
    socket.destroy()
    throw error
  }
}

/** The client's TLS 1.3 session once the ticket has arrived (it follows the handshake). */
export function nextSession(socket: TLSSocket): Promise<Buffer> {
  return within(once(socket, 'session').then(([s]) => s as Buffer), 10_000, 'a session ticket')
}

/** Closes a client socket and waits for it. */
export async function hangUp(socket: TLSSocket): Promise<void> {
  if (socket.destroyed) return
  socket.resume() // unread data would hold back 'end', and so 'close'
  socket.end()
  await within(once(socket, 'close'), 5000, 'the client socket to close').catch(() => socket.destroy())
}

/** Runs `openssl s_client` against 127.0.0.1:port with stdin closed; resolves with its output. */
export function sClient(port: number, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s))
    child.stdin.end()
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

/** Polls `check` every 10 ms until it holds, for at most `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited >= ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
