// examples/tcp_echo.ts as a program, and the runnable snippets of docs/net.md.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { docSnippets, ROOT } from '../helpers/doc-snippets.ts'
import { connect } from 'weft/net'
import { within } from './helpers.ts'

const LISTENING = /listening on (tcp|tls|unix|udp):\/?\/?(\S+)/

interface Run {
  child: ChildProcess
  exit: Promise<{ code: number | null; out: string; err: string }>
  listening: Promise<string>
}

function run(file: string): Run {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  let onListening: (url: string) => void = () => {}
  const listening = new Promise<string>((resolve) => (onListening = resolve))
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s
    const m = LISTENING.exec(out)
    if (m !== null) onListening(m[0].slice('listening on '.length))
  })
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s))
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const exit = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    }),
  )
  return { child, exit, listening }
}

test('examples/tcp_echo.ts echoes and exits 0 on SIGTERM', { timeout: 30_000 }, async () => {
  const example = run('examples/tcp_echo.ts')
  const url = await within(Promise.race([example.listening, example.exit.then((r) => Promise.reject(new Error(`exited early:\n${r.err}`)))]), 20_000, 'listening')
  const m = /^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(url)
  assert.ok(m !== null, `prints listening on tcp://127.0.0.1:PORT, got ${url}`)
  const conn = await connect({ host: '127.0.0.1', port: Number(m[1]) })
  await conn.write('echo me')
  await conn.end()
  const parts: Uint8Array[] = []
  for await (const chunk of conn) parts.push(chunk)
  assert.equal(Buffer.concat(parts).toString(), 'echo me')
  await conn.close()
  example.child.kill('SIGTERM')
  const result = await example.exit
  assert.equal(result.code, 0, result.err)
  assert.equal(result.out.match(/listening on /g)?.length, 1)
})

test('docs/net.md: every runnable snippet runs', { timeout: 180_000 }, async (t) => {
  const found = docSnippets('docs/net.md')
  assert.ok(found.length >= 3, 'docs/net.md has runnable snippets')
  const dir = mkdtempSync(join(ROOT, '.doc-snippets-net-'))
  try {
    for (const [i, s] of found.entries()) {
      await t.test(`snippet at line ${s.line}`, async () => {
        const file = join(dir, `snippet-${i}.ts`)
        writeFileSync(file, s.code + '\n')
        const r = run(file)
        // A server snippet prints `listening on ...`: it must then close on SIGTERM and exit 0.
        void r.listening.then(() => r.child.kill('SIGTERM'))
        const result = await r.exit
        assert.equal(result.code, 0, `docs/net.md:${s.line} exited ${result.code}\nstdout:\n${result.out}\nstderr:\n${result.err}`)
      })
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
