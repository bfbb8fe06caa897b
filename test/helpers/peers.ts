import { spawnSync } from 'node:child_process'

/**
 * Whether an external peer program is installed. Tests that need one skip with a clear
 * message when it is missing — unless WEFT_REQUIRE_PEERS=1 (as in CI), where a missing peer
 * fails the run instead of quietly skipping.
 */
export function peer(command: string, versionArgs: string[] = ['--version']): { skip: string | false } {
  const found = spawnSync(command, versionArgs, { stdio: 'ignore' }).error === undefined
  if (found) return { skip: false }
  if (process.env.WEFT_REQUIRE_PEERS === '1') {
    throw new Error(`required peer "${command}" is not installed (WEFT_REQUIRE_PEERS=1)`)
  }
  return { skip: `${command} is not installed` }
}
