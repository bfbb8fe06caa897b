import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { docSnippets, ROOT } from '../helpers/doc-snippets.ts'

// The guides promise that every ```ts block starting with `import` is a whole program. Run each
// one: it must exit 0 on its own, or, if it is a server that prints `listening on`, answer
// SIGTERM by closing and exiting 0.
const GUIDES = ['docs/routing.md', 'docs/server.md', 'docs/static.md', 'docs/streaming.md', 'docs/websocket.md']

function run(path: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    // Inside the package, so `import ... from 'weft'` resolves as it does for users.
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s
      if (/listening on http:\/\/\S+:\d+/.test(out)) child.kill('SIGTERM')
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s))
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
  })
}

for (const guide of GUIDES) {
  test(`${guide}: every runnable snippet runs`, { timeout: 180_000 }, async (t) => {
    const found = docSnippets(guide)
    assert.ok(found.length >= 3, `${guide} has runnable snippets`)
    const dir = mkdtempSync(join(ROOT, '.doc-snippets-'))
    try {
      for (const [i, s] of found.entries()) {
        await t.test(`snippet at line ${s.line}`, async () => {
          const file = join(dir, `snippet-${i}.ts`)
          writeFileSync(file, s.code + '\n')
          const result = await run(file)
          assert.equal(result.code, 0, `${guide}:${s.line} exited ${result.code}\nstdout:\n${result.out}\nstderr:\n${result.err}`)
        })
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
}
