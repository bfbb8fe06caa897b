import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const LISTENING = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/

export interface RunningExample {
  readonly child: ChildProcess
  /** The URL from the `listening on` line. */
  readonly url: string
  readonly port: number
  /** Everything the child printed so far. */
  stdout(): string
  stderr(): string
  /** Sends SIGTERM, waits (bounded) for the exit, SIGKILLs past the deadline. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * Runs examples/NAME.ts the way `npm run example` does, with PORT=0, and resolves once it has
 * printed its `listening on` line (rejecting, with the child killed, if that takes too long or
 * the child exits first).
 */
export async function startExample(name: string, timeoutMs = 20_000): Promise<RunningExample> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', `examples/${name}.ts`], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>

  const stop = async (ms = 5_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), ms)
    try {
      const [code, signal] = await exited
      return { code, signal }
    } finally {
      clearTimeout(timer)
    }
  }

  try {
    const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`examples/${name}.ts did not print "listening on" within ${timeoutMs} ms`)), timeoutMs)
      const check = (): void => {
        for (const line of out.split('\n')) {
          const m = LISTENING.exec(line.trim())
          if (m !== null) {
            clearTimeout(timer)
            resolve(m)
            return
          }
        }
      }
      child.stdout!.on('data', check)
      void exited.then(([code, signal]) => {
        clearTimeout(timer)
        reject(new Error(`examples/${name}.ts exited (${code ?? signal}) before listening:\n${err}`))
      })
    })
    return { child, url: match[1]!, port: Number(match[2]), stdout: () => out, stderr: () => err, stop }
  } catch (error) {
    await stop(1_000)
    throw error
  }
}

/** fetch with a bounded wait. */
export function get(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(5_000), ...init })
}
