#!/usr/bin/env node
// The `weft` command. An installed package runs its compiled dist/cli/main.js. In a checkout
// with no build (or with WEFT_FROM_SOURCE=1, so a stale dist/ cannot hide a change in src/)
// it runs src/cli/main.ts through tsx, a dev dependency, in this same process: signals, exit
// codes and stdio need no relaying.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dist = new URL('../dist/cli/main.js', import.meta.url)
const source = new URL('../src/cli/main.ts', import.meta.url)

let cli
if (existsSync(fileURLToPath(dist)) && process.env.WEFT_FROM_SOURCE !== '1') {
  cli = await import(dist.href)
} else if (existsSync(fileURLToPath(source))) {
  let register
  try {
    ;({ register } = await import('tsx/esm/api'))
  } catch {
    process.stderr.write('weft: dist/ is not built and tsx is not installed: run `npm run build` or `npm install`\n')
    process.exit(1)
  }
  register()
  cli = await import(source.href)
} else {
  process.stderr.write('weft: neither dist/cli/main.js nor src/cli/main.ts is present\n')
  process.exit(1)
}
await cli.start()
