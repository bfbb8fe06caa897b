/**
 * The WebSocket load generator: raw node:net sockets, frames pre-encoded (and pre-masked) with
 * weft's codec once, and server frames counted by scanning their headers, so that one process
 * stays well ahead of the server under test. Prints one JSON line with the result.
 *
 *   ws-load.ts echo  PORT CONNS INFLIGHT SECONDS WARMUP   32-byte binary echo, INFLIGHT per connection
 *   ws-load.ts bcast PORT SUBS  WINDOW   SECONDS WARMUP   SUBS subscribers; the first also publishes,
 *                                                         keeping WINDOW broadcasts in flight
 *   ws-load.ts idle  PORT COUNT                            opens COUNT connections and holds them
 */
import { connect, type Socket } from 'node:net'
import { encodeFrame, generateKey, Opcode } from '../../src/ws/index.ts'
import { watchParent } from '../servers/common.ts'

const [mode, portArg, nArg, kArg, secondsArg, warmupArg] = process.argv.slice(2)
const port = Number(portArg)
watchParent()

const PAYLOAD = Buffer.alloc(32, 0x61)
const FRAME = encodeFrame(Opcode.Binary, PAYLOAD, true)
/** batches[k]: k frames back to back, so k replies cost one write. */
const batches: Buffer[] = [Buffer.alloc(0)]
for (let k = 1; k <= 64; k++) batches.push(Buffer.concat(Array.from({ length: k }, () => FRAME)))

function writeFrames(socket: Socket, k: number): void {
  while (k > 64) {
    socket.write(batches[64]!)
    k -= 64
  }
  if (k > 0) socket.write(batches[k]!)
}

/** Counts complete server frames (unmasked) across chunks, whatever their sizes. */
class FrameCounter {
  private skip = 0
  private readonly header = Buffer.alloc(10)
  private have = 0

  count(chunk: Buffer): number {
    let n = 0
    let i = 0
    const len = chunk.length
    while (i < len) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, len - i)
        this.skip -= take
        i += take
        if (this.skip === 0) n++
        continue
      }
      this.header[this.have++] = chunk[i++]!
      if (this.have < 2) continue
      const l7 = this.header[1]! & 0x7f
      const need = l7 < 126 ? 2 : l7 === 126 ? 4 : 10
      if (this.have < need) continue
      const payload = l7 < 126 ? l7 : l7 === 126 ? this.header.readUInt16BE(2) : Number(this.header.readBigUInt64BE(2))
      this.have = 0
      if (payload === 0) n++
      else this.skip = payload
    }
    return n
  }
}

/** Opens a WebSocket by hand; resolves with the socket and any bytes after the 101. */
function open(path: string): Promise<{ socket: Socket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true })
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${generateKey()}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    )
    let buf = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk])
      const end = buf.indexOf('\r\n\r\n')
      if (end === -1) return
      socket.off('data', onData)
      socket.off('error', reject)
      if (!buf.subarray(0, 12).toString().includes(' 101')) return reject(new Error(`handshake refused: ${buf.subarray(0, end).toString()}`))
      resolve({ socket, rest: buf.subarray(end + 4) })
    }
    socket.on('data', onData)
    socket.on('error', reject)
  })
}

async function openMany(path: string, count: number, concurrency = 200): Promise<Array<{ socket: Socket; rest: Buffer }>> {
  const out: Array<{ socket: Socket; rest: Buffer }> = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++
      out.push(await open(path))
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return out
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function measure(seconds: number, warmup: number, counter: () => number): Promise<void> {
  await sleep(warmup * 1000)
  const c0 = counter()
  const t0 = performance.now()
  await sleep(seconds * 1000)
  const c1 = counter()
  const t1 = performance.now()
  process.stdout.write(`${JSON.stringify({ type: 'result', count: c1 - c0, seconds: (t1 - t0) / 1000 })}\n`)
  process.exit(0)
}

async function echo(conns: number, inflight: number, seconds: number, warmup: number): Promise<void> {
  const sockets = await openMany('/echo', conns)
  let received = 0
  for (const { socket, rest } of sockets) {
    const counter = new FrameCounter()
    const onChunk = (chunk: Buffer): void => {
      const n = counter.count(chunk)
      received += n
      writeFrames(socket, n)
    }
    socket.on('data', onChunk)
    if (rest.length > 0) onChunk(rest)
    writeFrames(socket, inflight)
  }
  await measure(seconds, warmup, () => received)
}

async function bcast(subs: number, window: number, seconds: number, warmup: number): Promise<void> {
  const sockets = await openMany('/bcast', subs)
  let received = 0
  sockets.forEach(({ socket, rest }, i) => {
    const counter = new FrameCounter()
    const publisher = i === 0
    const onChunk = (chunk: Buffer): void => {
      const n = counter.count(chunk)
      received += n
      // The publisher gets every broadcast too: each one back means one more may go.
      if (publisher) writeFrames(socket, n)
    }
    socket.on('data', onChunk)
    if (rest.length > 0) onChunk(rest)
  })
  // Everyone is subscribed once open; give the server a moment to finish its open handlers.
  await sleep(200)
  writeFrames(sockets[0]!.socket, window)
  await measure(seconds, warmup, () => received)
}

async function idle(count: number): Promise<void> {
  const t0 = performance.now()
  const sockets = await openMany('/echo', count)
  process.stdout.write(`${JSON.stringify({ type: 'ready', opened: sockets.length, ms: Math.round(performance.now() - t0) })}\n`)
  process.on('SIGTERM', () => process.exit(0))
  setInterval(() => {}, 1 << 30)
}

if (mode === 'echo') await echo(Number(nArg), Number(kArg), Number(secondsArg), Number(warmupArg))
else if (mode === 'bcast') await bcast(Number(nArg), Number(kArg), Number(secondsArg), Number(warmupArg))
else if (mode === 'idle') await idle(Number(nArg))
else throw new Error(`unknown mode ${mode}`)
