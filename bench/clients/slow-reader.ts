/**
 * A slow client: one GET, then reads the response at about RATE bytes per second for SECONDS
 * seconds and hangs up. Between reads the socket is paused, so the kernel's receive buffer
 * fills and TCP flow control pushes back on the server, as with a client on a slow link.
 * Prints one JSON line at the end: {"type":"done","received":N,"seconds":S,"status":200}.
 *
 * Usage: node --import tsx bench/clients/slow-reader.ts PORT PATH RATE SECONDS
 */
import { connect } from 'node:net'
import { watchParent } from '../servers/common.ts'

const port = Number(process.argv[2])
const path = process.argv[3] ?? '/'
const rate = Number(process.argv[4] ?? 1_000_000)
const seconds = Number(process.argv[5] ?? 20)
const TICK_MS = 100

watchParent()
// The kernel buffers a few MB on each side of the loopback connection; past that, pausing
// closes the TCP window and the server's writes wait on us. (Socket buffers are kernel memory,
// not the server's RSS.)
const socket = connect({ port, host: '127.0.0.1' })
let received = 0
let allowance = (rate * TICK_MS) / 1000
let status = 0
let head = ''
const t0 = performance.now()

socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`))
socket.on('data', (chunk: Buffer) => {
  if (status === 0) {
    head += chunk.toString('latin1', 0, Math.min(chunk.length, 512))
    const m = /^HTTP\/1\.1 (\d{3})/.exec(head)
    if (m !== null) status = Number(m[1])
  }
  received += chunk.length
  if (received >= allowance) socket.pause()
})
const tick = setInterval(() => {
  allowance += (rate * TICK_MS) / 1000
  if (received < allowance) socket.resume()
}, TICK_MS)

function finish(): void {
  clearInterval(tick)
  socket.destroy()
  const elapsed = (performance.now() - t0) / 1000
  process.stdout.write(`${JSON.stringify({ type: 'done', received, seconds: elapsed, status })}\n`)
  process.exit(0)
}
setTimeout(finish, seconds * 1000)
socket.on('error', (err) => {
  process.stderr.write(`slow-reader: ${err.message}\n`)
  finish()
})
socket.on('end', finish)
