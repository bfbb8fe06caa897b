import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The guides promise that every ```ts block starting with `import` is a whole program. Run each
// one: it must exit 0 on its own, or, if it is a server that prints `listening on`, answer
// SIGTERM by closing and exiting 0.
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const GUIDES = ['docs/routing.md', 'docs/server.md', 'docs/static.md', 'docs/streaming.md', 'docs/websocket.md']

function snippets(file: string): Array<{ line: number; code: string }> {
  const out: Array<{ line: number; code: string }> = []
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n')
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
    const found = snippets(guide)
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
