/**
 * The `weft` command (bin/weft.mjs runs this). Exit codes: 0 done, 1 could not run (the port
 * is taken, say), 2 the command line is wrong (the usage text goes to stderr).
 */
import { readFileSync } from 'node:fs'
import { MAIN_USAGE, SERVE_USAGE, UsageError, parseCommand } from './args.ts'
import { DirectoryError, runServe, type Output } from './serve-command.ts'

/** weft's version, from the package.json next to src/ or dist/ (both are one level down). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
  return pkg.version ?? 'unknown'
}

const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}

/** Runs one invocation; resolves with the process exit code. */
export async function main(argv: readonly string[], output: Output = stdio): Promise<number> {
  try {
    const command = parseCommand(argv)
    switch (command.kind) {
      case 'help':
        output.out((command.topic === 'serve' ? SERVE_USAGE : MAIN_USAGE).trimEnd())
        return 0
      case 'version':
        output.out(version())
        return 0
      case 'serve':
        return await runServe(command.config, output)
    }
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`weft: ${error.message}\n`)
      output.err((error.topic === 'serve' ? SERVE_USAGE : MAIN_USAGE).trimEnd())
      return 2
    }
    if (error instanceof DirectoryError) {
      output.err(`weft serve: ${error.message}`)
      return 2
    }
    throw error
  }
}

// Run when executed (bin/weft.mjs imports this module for its side effect), not when a test
// imports it for `main()`.
const entry = process.argv[1]
if (entry !== undefined && /[\\/]cli[\\/]main\.(?:ts|js)$/.test(entry)) await start()

/** Runs `main` on this process's arguments and exits with its code. */
export async function start(): Promise<void> {
  try {
    const code = await main(process.argv.slice(2))
    // Exit explicitly: the static engine's cache timers and keep-alive sockets already closed
    // by then, but a command should not depend on the event loop draining on its own.
    process.exit(code)
  } catch (error) {
    process.stderr.write(`weft: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  }
}
