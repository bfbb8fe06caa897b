/**
 * TLS handshake timing for the h2 phase: `node tls-handshake.ts PORT COUNT CA`. Opens COUNT
 * connections one after another with full handshakes, then COUNT resumed ones (each offering
 * the last TLS 1.3 session ticket it got), timing connect() to 'secureConnect'. ALPN h2, SNI
 * localhost. Prints one JSON line: {"type":"result","full":[ms...],"resumed":[ms...],"reused":n}.
 */
import { connect, type TLSSocket } from 'node:tls'
import { readFileSync } from 'node:fs'

const [portArg, countArg, caPath] = process.argv.slice(2)
const port = Number(portArg)
const count = Number(countArg)
const ca = readFileSync(caPath!)

function once(session: Buffer | undefined): Promise<{ ms: number; reused: boolean; ticket: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    let ms = 0
    let done = false
    const socket: TLSSocket = connect({ port, host: '127.0.0.1', servername: 'localhost', ca, ALPNProtocols: ['h2'], session })
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
    // TLS 1.3 tickets arrive after the handshake; wait (bounded) for one before closing.
    const timer = setTimeout(() => finish(undefined), 500)
    socket.once('secureConnect', () => (ms = performance.now() - t0))
    socket.once('session', (ticket: Buffer) => finish(ticket))
    socket.on('error', (error) => {
      if (!done) reject(error)
    })
  })
}

const full: number[] = []
const resumed: number[] = []
let reused = 0
let ticket: Buffer | undefined
for (let i = 0; i < count; i++) {
  const r = await once(undefined)
  full.push(r.ms)
  ticket = r.ticket ?? ticket
}
for (let i = 0; i < count; i++) {
  const r = await once(ticket)
  resumed.push(r.ms)
  if (r.reused) reused++
  ticket = r.ticket ?? ticket
}
process.stdout.write(`${JSON.stringify({ type: 'result', full, resumed, reused })}\n`)
