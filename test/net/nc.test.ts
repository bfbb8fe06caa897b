// Interop with a real peer: OpenBSD netcat (Debian's netcat-openbsd) over TCP, Unix and UDP.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peer } from '../helpers/peers.ts'
import { listen, connect, bind, isNetError, type Connection, type Listener } from 'weft/net'
import { delay, text, within } from './helpers.ts'

function openbsdNetcat(): { skip: string | false } {
  const found = peer('nc', ['-h'])
  if (found.skip !== false) return found
  // Other netcats (traditional, ncat, busybox) take different flags.
  const help = spawnSync('nc', ['-h'], { encoding: 'utf8' })
  if (/OpenBSD/.test(`${help.stdout}${help.stderr}`)) return { skip: false }
  const why = 'the installed nc is not OpenBSD netcat (install netcat-openbsd)'
  if (process.env.WEFT_REQUIRE_PEERS === '1') throw new Error(why)
  return { skip: why }
}

const nc = openbsdNetcat()

/** Runs nc with `input` on stdin; resolves with its stdout once it exits (killed after 10 s). */
function runNc(args: string[], input: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('nc', args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s))
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
    child.stdin.end(input)
  })
}

function echoLoop(listener: Listener): Promise<void> {
  return (async () => {
    for await (const conn of listener) {
      void (async (c: Connection) => {
        for await (const chunk of c) await c.write(chunk)
        await c.end()
      })(conn).catch(() => conn.reset())
    }
  })()
}

test('nc client ↔ weft TCP echo listener', { skip: nc.skip, timeout: 20_000 }, async () => {
  const listener = await listen({ port: 0 })
  const loop = echoLoop(listener)
  const message = 'hello from nc\n'.repeat(1000)
  const result = await runNc(['-N', '127.0.0.1', String(listener.port)], message)
  assert.equal(result.code, 0, result.err)
  assert.equal(result.out, message)
  await listener.close()
  await loop
})

test('weft client ↔ nc -l server', { skip: nc.skip, timeout: 20_000 }, async () => {
  const probe = await listen({ port: 0 })
  const port = probe.port
  await probe.close()
  const server = runNc(['-N', '-l', '127.0.0.1', String(port)], 'greetings from nc\n')
  let conn: Connection | null = null
  for (let i = 0; i < 200 && conn === null; i++) {
    conn = await connect({ host: '127.0.0.1', port }).catch((e: unknown) => {
      if (isNetError(e, 'CONNECTION_REFUSED')) return null
      throw e
    })
    if (conn === null) await delay(20)
  }
  assert.ok(conn !== null, 'nc started listening')
  await conn.write('greetings from weft\n')
  await conn.end()
  const parts: Uint8Array[] = []
  for await (const chunk of conn) parts.push(chunk)
  assert.equal(Buffer.concat(parts).toString(), 'greetings from nc\n')
  const result = await within(server, 15_000, 'nc to exit')
  assert.equal(result.out, 'greetings from weft\n')
  await conn.close()
})

test('nc -U ↔ weft Unix socket listener', { skip: nc.skip || (process.platform === 'win32' ? 'POSIX only' : false), timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-nc-'))
  try {
    const listener = await listen({ path: join(dir, 'echo.sock') })
    const loop = echoLoop(listener)
    const result = await runNc(['-N', '-U', listener.path!], 'over a unix socket\n')
    assert.equal(result.out, 'over a unix socket\n', result.err)
    await listener.close()
    await loop
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('nc -u sends a datagram to a weft UDP socket', { skip: nc.skip, timeout: 20_000 }, async () => {
  const socket = await bind()
  try {
    const sending = runNc(['-u', '-w1', '127.0.0.1', String(socket.port)], 'udp from nc\n')
    const d = await within(socket.receive(), 10_000, 'the datagram from nc')
    assert.equal(text(d!.data), 'udp from nc\n')
    assert.equal(d!.address, '127.0.0.1')
    await sending
  } finally {
    await socket.close()
  }
})
