/**
 * Child processes of a benchmark run: every one is tracked so that it is killed when the run
 * ends, however it ends (normal exit, error, Ctrl-C, SIGTERM).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'

const children = new Set<ChildProcess>()
const cleanups: Array<() => void> = []

export const HAS_TASKSET = existsSync('/usr/bin/taskset') || existsSync('/bin/taskset')

/** Runs `fn` when the run ends, before the children are killed. */
export function onCleanup(fn: () => void): void {
  cleanups.push(fn)
}

/** Kills every child still running (SIGKILL: nothing they hold needs a graceful end). */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
  children.clear()
  while (cleanups.length > 0) {
    try {
      cleanups.pop()!()
    } catch {
      // best effort at exit
    }
  }
}

let installed = false
/** Kills the children on exit and on SIGINT/SIGTERM/SIGHUP. */
export function installExitHandlers(): void {
  if (installed) return
  installed = true
  process.on('exit', killAll)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\n${sig}: stopping child processes\n`)
      killAll()
      process.exit(130)
    })
  }
}

export interface Launch {
  /** CPU list for taskset ('0', '1'); ignored when taskset is missing. */
  cpu?: string
  /** Raise the open-files limit to this (through a bash `ulimit -n` wrapper). */
  nofile?: number
  env?: NodeJS.ProcessEnv
  ipc?: boolean
}

/** Starts a tracked child: `taskset -c CPU cmd args...`, optionally under `ulimit -n`. */
export function launch(cmd: string, args: string[], opts: Launch = {}): ChildProcess {
  let argv = [cmd, ...args]
  if (opts.cpu !== undefined && HAS_TASKSET) argv = ['taskset', '-c', opts.cpu, ...argv]
  if (opts.nofile !== undefined) {
    // exec keeps the pid, so the pid we hold is the program's, and fds (IPC) stay inherited.
    argv = ['bash', '-c', `ulimit -n ${opts.nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`, 'bash', ...argv]
  }
  const spawnOpts: SpawnOptions = {
    env: { ...process.env, ...opts.env },
    stdio: opts.ipc === true ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
  }
  const child = spawn(argv[0]!, argv.slice(1), spawnOpts)
  children.add(child)
  child.on('exit', () => children.delete(child))
  child.on('error', () => children.delete(child))
  return child
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
export function stop(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** Runs a child to completion, collecting its output; kills it after `timeoutMs`. */
export function run(cmd: string, args: string[], opts: Launch & { timeoutMs: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = launch(cmd, args, opts)
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Waits until a line of the child's stdout matches; rejects on exit or timeout. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    let errors = ''
    const onData = (d: string): void => {
      buffer += d
      let nl: number
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        if (pattern.test(line)) {
          done()
          resolve(line)
          return
        }
      }
    }
    const onErr = (d: string): void => {
      errors += d
    }
    const onExit = (code: number | null): void => {
      done()
      reject(new Error(`process exited (${code}) before "${pattern.source}"\n${errors.slice(-2000)}`))
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${pattern.source}"\n${errors.slice(-2000)}`))
    }, timeoutMs)
    const done = (): void => {
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      child.stderr!.off('data', onErr)
      child.off('exit', onExit)
    }
    child.stdout!.setEncoding('utf8').on('data', onData)
    child.stderr!.setEncoding('utf8').on('data', onErr)
    child.on('exit', onExit)
  })
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
