/**
 * CPU conditions of the run: holding /dev/cpu_dma_latency at 0 (idle cores stay out of deep
 * C-states, which on a virtual CPU means they do not halt and lose time to the host), and
 * per-core steal and busy time from /proc/stat over each measurement.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs'
import { launch, stop } from './procs.ts'

/**
 * Opens /dev/cpu_dma_latency and writes a 32-bit 0; the request holds while the descriptor is
 * open. Returns a function that releases it, or null (with a warning printed) when that is not
 * possible here.
 */
export function holdDmaLatencyZero(): (() => void) | null {
  const path = '/dev/cpu_dma_latency'
  if (!existsSync(path)) {
    console.warn(`warning: ${path} not found; idle cores may halt and lose time to the host (figures may be noisier)`)
    return null
  }
  let fd: number
  try {
    fd = openSync(path, 'w')
    const zero = Buffer.alloc(4)
    zero.writeInt32LE(0, 0)
    writeSync(fd, zero)
  } catch (error) {
    console.warn(`warning: cannot write ${path} (${(error as Error).message}); idle cores may halt (figures may be noisier)`)
    return null
  }
  let open = true
  return () => {
    if (!open) return
    open = false
    try {
      closeSync(fd)
    } catch {
      // already closed at exit
    }
  }
}

/** Cumulative jiffies of one core: total and the parts we report. */
export interface CoreTimes {
  total: number
  idle: number
  steal: number
}

export type CpuSnapshot = Map<string, CoreTimes>

/** Reads the per-core lines (cpu0, cpu1, ...) of /proc/stat; empty where there is none. */
export function readCpu(): CpuSnapshot {
  const out: CpuSnapshot = new Map()
  let text: string
  try {
    text = readFileSync('/proc/stat', 'utf8')
  } catch {
    return out
  }
  for (const line of text.split('\n')) {
    const m = /^(cpu\d+)\s+(.*)$/.exec(line)
    if (m === null) continue
    // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user/nice)
    const f = m[2]!.trim().split(/\s+/).map(Number)
    const total = f.slice(0, 8).reduce((a, b) => a + (b ?? 0), 0)
    out.set(m[1]!, { total, idle: (f[3] ?? 0) + (f[4] ?? 0), steal: f[7] ?? 0 })
  }
  return out
}

/** Per core over an interval: steal and busy time as percentages of that interval. */
export interface CoreUsage {
  steal: number
  busy: number
}

export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, CoreUsage> {
  const out: Record<string, CoreUsage> = {}
  for (const [name, a] of after) {
    const b = before.get(name)
    if (b === undefined) continue
    const total = a.total - b.total
    if (total <= 0) continue
    out[name] = {
      steal: (100 * (a.steal - b.steal)) / total,
      busy: (100 * (total - (a.idle - b.idle) - (a.steal - b.steal))) / total,
    }
  }
  return out
}

/** "cpu0 steal 0.3% busy 100% · cpu1 steal 0.1% busy 62%" */
export function formatUsage(usage: Record<string, CoreUsage>): string {
  const parts = Object.entries(usage).map(([name, u]) => `${name} steal ${u.steal.toFixed(1)}% busy ${u.busy.toFixed(0)}%`)
  return parts.length === 0 ? 'steal n/a' : parts.join(' · ')
}

/** CPU time a process has used so far (user + system), in seconds; NaN without /proc. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the name), in ticks.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return NaN
  }
}

/**
 * CPU time of this process plus that of its children it has already reaped (the load generator
 * once it has exited), in seconds.
 */
export function selfAndReapedCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime, stime, cutime, cstime
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLOCK_TICKS
  } catch {
    return NaN
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100

/**
 * Opt-in (BENCH_SPIN=1): one SCHED_IDLE busy loop per core. The scheduler runs it only when
 * nothing else wants the core, so it takes no time from the server or the load generator, but
 * the virtual CPU never halts — what /dev/cpu_dma_latency cannot do on a guest without a cpuidle
 * driver. Cores then read 100% busy; use the server CPU column instead.
 */
export function startIdleSpinners(cores: string[]): () => Promise<void> {
  if (!existsSync('/usr/bin/chrt') && !existsSync('/bin/chrt')) {
    console.warn('warning: BENCH_SPIN=1 needs chrt (util-linux); running without spinners')
    return async () => {}
  }
  const children = cores.map((cpu) => launch('chrt', ['--idle', '0', 'sh', '-c', 'while :; do :; done'], { cpu }))
  return async () => {
    await Promise.all(children.map((c) => stop(c, 500)))
  }
}

/** The cpuidle driver in use ('none' when the kernel idles with a plain HLT), or null. */
export function cpuidleDriver(): string | null {
  try {
    return readFileSync('/sys/devices/system/cpu/cpuidle/current_driver', 'utf8').trim()
  } catch {
    return null
  }
}
