// A large file streamed to a slow reader keeps the server's memory flat: the file is read only
// as fast as the socket drains. The file is sparse (no disk space used) and deleted after.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { App, serve } from 'weft'
import { delay } from '../helpers/raw.ts'

const SIZE = 256 * 1024 * 1024
const LIMIT = 32 * 1024 * 1024
/** Bytes the client reads before it stops: far more than any socket buffer, a fraction of the file. */
const READ = 48 * 1024 * 1024

test('streaming 256 MiB to a slow reader grows memory by under 32 MiB', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-static-mem-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const fd = openSync(join(dir, 'big.bin'), 'w')
  ftruncateSync(fd, SIZE)
  closeSync(fd)

  const server = await serve(new App().static('/', dir), { port: 0 })
  t.after(() => server.close({ timeout: 1000 }))

  // What counts is memory the server holds on to, not garbage the collector has yet to visit
  // (every 64 KiB read allocates a buffer that is dropped once written), so collect before each
  // sample. A server that read ahead of the socket would keep those buffers alive.
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const sample = (): { rss: number; buffers: number } => {
    gc()
    const m = process.memoryUsage()
    return { rss: m.rss, buffers: m.arrayBuffers }
  }
  const base = sample()
  let peak = { ...base }
  const sampler = setInterval(() => {
    const now = sample()
    peak = { rss: Math.max(peak.rss, now.rss), buffers: Math.max(peak.buffers, now.buffers) }
  }, 50)
  t.after(() => clearInterval(sampler))

  const socket = connect(server.port, '127.0.0.1')
  t.after(() => socket.destroy())
  let received = 0
  let status = ''
  socket.on('data', (chunk: Buffer) => {
    if (status === '') status = chunk.subarray(0, 12).toString('latin1')
    received += chunk.length
    // Data is counted and dropped, so the client holds no memory of its own.
    socket.pause()
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.write('GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n')

  // Slow reader: one chunk at a time with a pause between, and a long stall in the middle where
  // the server has to wait with full buffers. Bounded by rounds, not by a clock.
  for (let round = 0; received < READ && round < 20_000; round++) {
    if (round === 200) await delay(500)
    socket.resume()
    await delay(1)
  }
  clearInterval(sampler)
  assert.equal(status, 'HTTP/1.1 200')
  assert.ok(received >= READ, `the client read ${received} bytes`)
  const growth = { rss: peak.rss - base.rss, buffers: peak.buffers - base.buffers }
  t.diagnostic(`memory growth: rss ${(growth.rss / 1048576).toFixed(1)} MiB, arrayBuffers ${(growth.buffers / 1048576).toFixed(1)} MiB`)
  assert.ok(growth.rss < LIMIT, `rss grew by ${(growth.rss / 1048576).toFixed(1)} MiB`)
  assert.ok(growth.buffers < LIMIT, `arrayBuffers grew by ${(growth.buffers / 1048576).toFixed(1)} MiB`)
  // Hanging up mid-file ends the stream: the server closes cleanly afterwards.
  socket.destroy()
})
