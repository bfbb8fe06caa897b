/**
 * Opens COUNT TCP connections to an echo server, sends a few bytes on each and waits for them
 * to come back, then keeps every socket open and idle. Prints {"type":"ready", ...} when done
 * and holds the sockets until SIGTERM or the runner going away.
 *
 * Usage: node --import tsx bench/clients/echo-conns.ts PORT COUNT
 */
import { connect, type Socket } from 'node:net'
import { watchParent } from '../servers/common.ts'

const port = Number(process.argv[2])
const count = Number(process.argv[3] ?? 10_000)
const CONCURRENCY = 200
const open: Socket[] = []
let failed = 0
const t0 = performance.now()

function openOne(): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true })
    const timer = setTimeout(() => fail(), 10_000)
    const fail = (): void => {
      clearTimeout(timer)
      failed++
      socket.destroy()
      resolve()
    }
    socket.once('error', fail)
    socket.once('connect', () => socket.write('ping'))
    socket.once('data', () => {
      clearTimeout(timer)
      socket.off('error', fail)
      socket.on('error', () => {})
      open.push(socket)
      resolve()
    })
  })
}

let next = 0
async function worker(): Promise<void> {
  while (next < count) {
    next++
    await openOne()
  }
}
await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker))
process.stdout.write(`${JSON.stringify({ type: 'ready', open: open.length, failed, ms: Math.round(performance.now() - t0) })}\n`)
watchParent()
process.on('SIGTERM', () => process.exit(0))
setInterval(() => {}, 1 << 30)
