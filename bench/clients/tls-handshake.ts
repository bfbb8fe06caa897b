/**
 * TLS handshake timing for the h2 phase: `node tls-handshake.ts PORT COUNT CA [WARMUP]`. Opens
 * 2×COUNT connections one after another, alternating full handshakes and resumed ones (offering
 * the TLS 1.3 session ticket the last full handshake got), timing connect() to 'secureConnect'.
 * WARMUP pairs (default 0) go first and are not recorded, as h2load's warm-up time is not.
 * ALPN h2, SNI localhost. Prints one JSON line:
 * {"type":"result","full":[ms...],"resumed":[ms...],"reused":n,"tickets":n}.
 */
import { connect, createSecureContext, type TLSSocket } from 'node:tls'
import { readFileSync } from 'node:fs'

const [portArg, countArg, caPath, warmupArg] = process.argv.slice(2)
const port = Number(portArg)
const count = Number(countArg)
const warmup = Number(warmupArg ?? 0)
// One context for every connection, as a client reusing its configuration would: passing `ca`
// to connect() builds a fresh context (and copies the root store) per handshake, which is
// client cost, not the server handshake being measured.
const secureContext = createSecureContext({ ca: readFileSync(caPath!) })

function once(session: Buffer | undefined): Promise<{ ms: number; reused: boolean; ticket: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    let ms = 0
    let done = false
    const socket: TLSSocket = connect({ port, host: '127.0.0.1', servername: 'localhost', secureContext, ALPNProtocols: ['h2'], session })
    const finish = (ticket: Buffer | undefined): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (ms === 0) ms = performance.now() - t0
      const reused = socket.isSessionReused()
      // Not a graceful close: only the handshake is measured, and a half-closed TLS socket
      // would wait on the server's HTTP/2 session.
      socket.destroy()
      resolve({ ms, reused, ticket })
    }
    // TLS 1.3 tickets arrive just after the handshake; wait (briefly) for one before closing. A
    // resumed handshake may get none, and a long wait would leave the cores idle between
    // connections, so each one would start cold.
    let timer: NodeJS.Timeout | undefined
    socket.once('secureConnect', () => {
      ms = performance.now() - t0
      timer = setTimeout(() => finish(undefined), 20)
    })
    socket.once('session', (ticket: Buffer) => finish(ticket))
    socket.on('error', (error) => {
      if (!done) reject(error)
    })
  })
}

const full: number[] = []
const resumed: number[] = []
let reused = 0
let tickets = 0
let ticket: Buffer | undefined
// Full and resumed handshakes alternate, so a slow patch of the machine touches both alike.
for (let i = 0; i < warmup; i++) await once(await once(undefined).then((f) => f.ticket))
for (let i = 0; i < count; i++) {
  const f = await once(undefined)
  full.push(f.ms)
  if (f.ticket !== undefined) ticket = f.ticket
  const r = await once(ticket)
  resumed.push(r.ms)
  if (r.reused) reused++
  if (r.ticket !== undefined) tickets++
}
process.stdout.write(`${JSON.stringify({ type: 'result', full, resumed, reused, tickets })}\n`)
