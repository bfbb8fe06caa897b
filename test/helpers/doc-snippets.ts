import { readFileSync } from 'node:fs'
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
