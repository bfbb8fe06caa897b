import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

// Request builds query, cookies, state, proxy facts and the body lazily into fields declared up
// front, so touching them must not give an object a new hidden class: handlers and engines see
// one shape and their property accesses stay monomorphic. V8's %HaveSameMap checks this; it needs
// --allow-natives-syntax, so the check runs in a child process.
test('a Request keeps its V8 hidden class whatever it touched', { timeout: 30_000 }, async () => {
  const fixture = fileURLToPath(new URL('./fixtures/request-shape.ts', import.meta.url))
  const child = spawn(process.execPath, ['--allow-natives-syntax', '--conditions=source', '--import', 'tsx', fixture], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s))
  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000)
  const [code] = (await once(child, 'exit')) as [number | null]
  clearTimeout(timer)
  assert.equal(code, 0, `fixture failed:\n${err}`)
  const result = JSON.parse(out.trim().split('\n').pop()!) as Record<string, boolean>
  assert.deepEqual(result, { touchedVsUntouched: true, routedVsUntouched: true, control: false })
})
