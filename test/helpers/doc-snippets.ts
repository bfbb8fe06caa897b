import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package root: snippets run inside it so `import ... from 'weft'` resolves as for users. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The runnable snippets of a guide: every ```ts block that starts with `import` is promised to
 * be a whole program. `line` is where its code starts, for failure messages.
 */
export function docSnippets(file: string): Array<{ line: number; code: string }> {
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

/**
 * Runs one snippet file: it must exit on its own, or, if it is a server that prints
 * `listening on http://...`, answer SIGTERM by closing and exiting. Killed after 20 s.
 */
function runSnippet(path: string): Promise<{ code: number | null; out: string; err: string }> {
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

/** Registers a test that runs every runnable snippet of `guide` (at least `minimum` of them) and expects exit 0. */
export function testGuideSnippets(guide: string, minimum: number): void {
  test(`${guide}: every runnable snippet runs`, { timeout: 180_000 }, async (t) => {
    const found = docSnippets(guide)
    assert.ok(found.length >= minimum, `${guide} has runnable snippets`)
    const dir = mkdtempSync(join(ROOT, '.doc-snippets-'))
    try {
      for (const [i, s] of found.entries()) {
        await t.test(`snippet at line ${s.line}`, async () => {
          const file = join(dir, `snippet-${i}.ts`)
          writeFileSync(file, s.code + '\n')
          const result = await runSnippet(file)
          assert.equal(result.code, 0, `${guide}:${s.line} exited ${result.code}\nstdout:\n${result.out}\nstderr:\n${result.err}`)
        })
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
}
