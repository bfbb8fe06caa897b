// npm run example -- NAME  runs examples/NAME.ts
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const name = process.argv[2]
if (!name || !existsSync(`examples/${name}.ts`)) {
  console.error(`usage: npm run example -- NAME   (a file examples/NAME.ts)`)
  process.exit(2)
}
const result = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', `examples/${name}.ts`], { stdio: 'inherit' })
process.exit(result.status ?? 1)
