/** Memory figures of a benchmark server: its own view over IPC, and VmRSS from /proc. */
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { MemoryStats } from '../servers/common.ts'

/** Asks a server started with an IPC channel for process.memoryUsage() after two GCs. */
export function askStats(child: ChildProcess, timeoutMs = 10_000): Promise<MemoryStats & { vmRss: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage)
      reject(new Error('no stats answer over IPC'))
    }, timeoutMs)
    const onMessage = (msg: unknown): void => {
      const m = msg as { type?: string; stats?: MemoryStats }
      if (m.type !== 'stats' || m.stats === undefined) return
      clearTimeout(timer)
      child.off('message', onMessage)
      resolve({ ...m.stats, vmRss: vmRss(child.pid!) })
    }
    child.on('message', onMessage)
    child.send({ type: 'stats' })
  })
}

/** Resident set size from /proc/<pid>/status, in bytes (NaN where /proc is missing). */
export function vmRss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? NaN : Number(m[1]) * 1024
  } catch {
    return NaN
  }
}
