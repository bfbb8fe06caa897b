// docs/tls-http2.md promises that every ```ts block starting with `import` is a whole program:
// run each one from the package root (they use the committed fixtures) and expect exit 0.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { docSnippets, ROOT } from '../helpers/doc-snippets.ts'

const GUIDE = 'docs/tls-http2.md'

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
  const found = docSnippets(GUIDE)
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
