/**
 * One measurement with the load generator, and the care around it: the server's CPU time, the
 * cores' steal and busy time, and what other processes did meanwhile ("foreign"), with a retry
 * when someone else's burst disturbed it. Shared by the HTTP phases (run.ts) and the static
 * phase (static.ts).
 */
import { cpuDelta, processCpuSeconds, readCpu, selfAndReapedCpuSeconds, type CoreUsage } from './cpu.ts'
import { load, type Generator, type LoadResult } from './load.ts'
import { sleep } from './procs.ts'
import { fmtInt } from './report.ts'

export interface Measured {
  result: LoadResult
  cpu: Record<string, CoreUsage>
  /** The server's CPU use over the measurement, in % of one core. */
  serverCpu: number
  /** CPU used by processes outside this benchmark over the measurement (% of one core). */
  foreign: number
}

export interface MeasureSettings {
  generator: Generator
  /** CPU list the load generator is pinned to. */
  loadCpu: string
  /** How many times a disturbed measurement is redone. */
  retries: number
  /** % of a core other processes may use before a measurement counts as disturbed. */
  maxForeign: number
  /** Seconds to wait for a quiet machine before measuring. */
  quietWait: number
  log: (line: string) => void
}

/** CPU seconds the server has used so far: one process, or (nginx) a master and its workers. */
export type CpuClock = () => number

export const processClock = (pid: number): CpuClock => () => processCpuSeconds(pid)

/**
 * Runs the load generator once, with /proc/stat, the server's CPU time and our own (which takes
 * in the load generator's once it is reaped) read before and after. What the cores did beyond
 * that is other processes on the machine: `foreign`.
 */
export async function measureOnce(s: MeasureSettings, clock: CpuClock, url: string, connections: number, seconds: number): Promise<Measured> {
  const before = readCpu()
  const s0 = clock()
  const o0 = selfAndReapedCpuSeconds()
  const t0 = performance.now()
  const result = await load(s.generator, { url, connections, seconds, cpu: s.loadCpu })
  const t1 = performance.now()
  const s1 = clock()
  const o1 = selfAndReapedCpuSeconds()
  const after = readCpu()
  const secs = (t1 - t0) / 1000
  const cpu = cpuDelta(before, after)
  const serverCpu = (100 * (s1 - s0)) / secs
  const ours = serverCpu + (100 * (o1 - o0)) / secs
  const busy = Object.values(cpu).reduce((a, u) => a + u.busy, 0)
  return { result, cpu, serverCpu, foreign: Math.max(0, busy - ours) }
}

/**
 * Waits (up to `quietWait` seconds) until other processes use less than `maxForeign` % of a
 * core over half a second, so a measurement does not start in the middle of someone else's
 * burst. The server is idle here, so nearly all the busy time is foreign.
 */
export async function waitForQuiet(s: MeasureSettings, clock: CpuClock): Promise<void> {
  const deadline = performance.now() + s.quietWait * 1000
  for (;;) {
    const before = readCpu()
    const s0 = clock()
    const o0 = selfAndReapedCpuSeconds()
    await sleep(500)
    const cpu = cpuDelta(before, readCpu())
    const ours = (100 * (clock() - s0 + selfAndReapedCpuSeconds() - o0)) / 0.5
    const foreign = Object.values(cpu).reduce((a, u) => a + u.busy, 0) - ours
    if (!(foreign > s.maxForeign) || performance.now() > deadline) return
  }
}

/**
 * Measures, and measures again (up to `retries` times) while other processes took more than
 * `maxForeign` % of a core; keeps the least disturbed attempt.
 */
export async function measure(s: MeasureSettings, clock: CpuClock, url: string, connections: number, seconds: number, label: string): Promise<Measured> {
  let best: Measured | null = null
  for (let attempt = 0; attempt <= s.retries; attempt++) {
    if (attempt > 0) {
      await waitForQuiet(s, clock)
      await load(s.generator, { url, connections, seconds: 1, cpu: s.loadCpu })
    }
    const m = await measureOnce(s, clock, url, connections, seconds)
    if (best === null || m.foreign < best.foreign) best = m
    if (m.foreign <= s.maxForeign) break
    if (attempt < s.retries) s.log(`  ${label}: other processes used ${m.foreign.toFixed(0)}% of a core (${fmtInt(m.result.rps)} req/s); measuring again`)
  }
  return best!
}
