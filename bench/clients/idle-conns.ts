/**
 * Opens many keep-alive connections to a server, sends one GET on each, waits for the whole
 * response, then keeps every socket open and idle. Prints one JSON line when done
 * ({"type":"ready", ...}) and holds the sockets until it is told to stop (SIGTERM, stdin
 * closing, or the runner going away).
 *
 * Usage: node --import tsx bench/clients/idle-conns.ts PORT COUNT [PATH]
 */
import { connect, type Socket } from 'node:net'
import { watchParent } from '../servers/common.ts'

const port = Number(process.argv[2])
const count = Number(process.argv[3] ?? 10_000)
const path = process.argv[4] ?? '/'
const CONCURRENCY = 200
const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`)

const open: Socket[] = []
let failed = 0
let closedEarly = 0
let started = 0
let settled = 0
const t0 = performance.now()

/** Resolves once the response on this socket is complete (head plus Content-Length bytes). */
function openOne(): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true })
    let received = Buffer.alloc(0)
    let done = false
    let kept = false
    const finish = (ok: boolean): void => {
      if (done) return
      done = true
      if (ok) {
        kept = true
        open.push(socket)
      } else {
        failed++
        socket.destroy()
      }
      resolve()
    }
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk: Buffer) => {
      if (done) return
      received = Buffer.concat([received, chunk])
      const headEnd = received.indexOf('\r\n\r\n')
      if (headEnd === -1) return
      const head = received.toString('latin1', 0, headEnd)
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head)
      const length = m === null ? 0 : Number(m[1])
      if (received.length >= headEnd + 4 + length) finish(head.startsWith('HTTP/1.1 200'))
    })
    socket.on('error', () => finish(false))
    socket.on('close', () => {
      if (kept) closedEarly++
      finish(false)
    })
  })
}

async function worker(): Promise<void> {
  while (started < count) {
    started++
    await openOne()
    settled++
  }
}

await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker))
const ms = Math.round(performance.now() - t0)
process.stdout.write(`${JSON.stringify({ type: 'ready', open: open.length, failed, ms })}\n`)

const stop = (): void => {
  for (const s of open) s.destroy()
  process.stdout.write(`${JSON.stringify({ type: 'closed', closedEarly, stillOpen: open.filter((s) => !s.destroyed).length })}\n`)
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.resume()
watchParent()
// A report on request: how many of the sockets the server has closed since.
process.stdin.on('data', () => {
  process.stdout.write(`${JSON.stringify({ type: 'status', open: open.length, closedEarly })}\n`)
})
