// docs/tls-http2.md promises that every ```ts block starting with `import` is a whole program:
// run each one from the package root (they use the committed fixtures) and expect exit 0.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const GUIDE = 'docs/tls-http2.md'

function snippets(): Array<{ line: number; code: string }> {
  const out: Array<{ line: number; code: string }> = []
  const lines = readFileSync(join(ROOT, GUIDE), 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end] !== '```') end++
    const code = lines.slice(start, end).join('\n')
    if (code.startsWith('import ')) out.push({ line: start + 1, code })
    i = end
  }
  return out
}


function run(path: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s))
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
  })
}

test(`${GUIDE}: every runnable snippet runs`, { timeout: 180_000 }, async (t) => {
  const found = snippets()
  assert.ok(found.length >= 8, `${GUIDE} has runnable snippets`)
  // Inside the package (not /tmp) so `weft/net` resolves as it does for users.
  const dir = mkdtempSync(join(ROOT, '.doc-snippets-'))
  try {
    for (const [i, s] of found.entries()) {
      await t.test(`snippet at line ${s.line}`, async () => {
        const file = join(dir, `snippet-${i}.ts`)
        writeFileSync(file, s.code + '\n')
        const result = await run(file)
        assert.equal(result.code, 0, `${GUIDE}:${s.line} exited ${result.code}\nstdout:\n${result.out}\nstderr:\n${result.err}`)
      })
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
