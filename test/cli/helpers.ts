import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const BIN = fileURLToPath(new URL('../../bin/weft.mjs', import.meta.url))
const LISTENING = /^listening on (https?:\/\/127\.0\.0\.1:(\d+))$/m

// WEFT_FROM_SOURCE: test src/, even when an older `npm run build` left a dist/ behind.
function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WEFT_FROM_SOURCE: '1', ...extra }
  if (extra.PORT === undefined) delete env.PORT
  return env
}

export interface RunningCli {
  readonly child: ChildProcess
  readonly url: string
  stdout(): string
  stderr(): string
  /** Sends `signal`, waits (bounded) for the exit, SIGKILLs past the deadline. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const running = new Set<ChildProcess>()

/** Kills whatever a failed test left running (for `after` hooks). */
export function killAll(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  running.clear()
}

/** Starts `weft ARGS` through bin/weft.mjs and resolves once it prints its address. */
export async function startCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<RunningCli> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  void exited.then(() => running.delete(child))

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', ms = 8_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), ms)
    try {
      const [code, sig] = await exited
      return { code, signal: sig }
    } finally {
      clearTimeout(timer)
    }
  }

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`weft ${args.join(' ')} did not print "listening on" within ${timeoutMs} ms\n${err}`)), timeoutMs)
      const check = (): void => {
        const m = LISTENING.exec(out)
        if (m === null) return
        clearTimeout(timer)
        resolve(m[1]!)
      }
      child.stdout!.on('data', check)
      void exited.then(([code, signal]) => {
        clearTimeout(timer)
        reject(new Error(`weft ${args.join(' ')} exited (${code ?? signal}) before listening:\n${err}`))
      })
    })
    return { child, url, stdout: () => out, stderr: () => err, stop }
  } catch (error) {
    await stop('SIGKILL', 1_000)
    throw error
  }
}

/** Runs `weft ARGS` to completion (bounded), for commands that exit on their own. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env), encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/**
 * A GET through node:http, which (unlike fetch) leaves the body as sent: compressed bytes stay
 * compressed, so the test sees what the server put on the wire.
 */
export function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)))
    req.on('error', reject)
    req.end()
  })
}
