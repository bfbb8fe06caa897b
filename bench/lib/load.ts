/**
 * The load generator: wrk when installed (pinned to CPU 1), autocannon otherwise. Both report
 * requests per second, latency percentiles, errors and non-2xx responses in one shape.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { run } from './procs.ts'

export interface LoadResult {
  rps: number
  requests: number
  /** Latencies in milliseconds. */
  latency: { avg: number; p50: number; p99: number; max: number }
  errors: number
  non2xx: number
}

export interface LoadOptions {
  url: string
  connections: number
  seconds: number
  cpu?: string
}

const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p)) ?? null

export type Generator = 'wrk' | 'autocannon'

export function pickGenerator(wanted: string | undefined): Generator {
  if (wanted === 'autocannon') return 'autocannon'
  if (wanted === 'wrk' && WRK === null) throw new Error('BENCH_LOADGEN=wrk but wrk is not installed')
  return WRK !== null ? 'wrk' : 'autocannon'
}

export async function load(gen: Generator, opts: LoadOptions): Promise<LoadResult> {
  return gen === 'wrk' ? runWrk(opts) : runAutocannon(opts)
}

async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency', '--timeout', '5s', opts.url]
  const out = await run(WRK!, args, { cpu: opts.cpu, timeoutMs: (opts.seconds + 15) * 1000 })
  if (out.code !== 0) throw new Error(`wrk failed (${out.code}): ${out.stderr || out.stdout}`)
  return parseWrk(out.stdout)
}

/** Parses wrk's text report (run with --latency). */
export function parseWrk(text: string): LoadResult {
  const num = (re: RegExp): number | null => {
    const m = re.exec(text)
    return m === null ? null : Number(m[1])
  }
  const dur = (re: RegExp): number => {
    const m = re.exec(text)
    if (m === null) return NaN
    const v = Number(m[1])
    const unit = m[2]
    return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : unit === 'm' ? v * 60_000 : v
  }
  const rps = num(/Requests\/sec:\s*([\d.]+)/)
  if (rps === null) throw new Error(`cannot read wrk output:\n${text}`)
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  return {
    rps,
    requests: num(/(\d+) requests in/) ?? 0,
    latency: {
      avg: dur(/Latency\s+([\d.]+)(us|ms|s|m)\b/),
      p50: dur(/\b50%\s+([\d.]+)(us|ms|s|m)\b/),
      p99: dur(/\b99%\s+([\d.]+)(us|ms|s|m)\b/),
      max: dur(/Latency\s+[\d.]+(?:us|ms|s|m)\s+[\d.]+(?:us|ms|s|m)\s+([\d.]+)(us|ms|s|m)\b/),
    },
    errors: errs === null ? 0 : errs.slice(1).reduce((a, b) => a + Number(b), 0),
    non2xx: num(/Non-2xx or 3xx responses:\s*(\d+)/) ?? 0,
  }
}

async function runAutocannon(opts: LoadOptions): Promise<LoadResult> {
  const require = createRequire(import.meta.url)
  const bin = require.resolve('autocannon/autocannon.js')
  const args = [bin, '-c', String(opts.connections), '-d', String(opts.seconds), '-j', opts.url]
  const out = await run(process.execPath, args, { cpu: opts.cpu, timeoutMs: (opts.seconds + 20) * 1000 })
  if (out.code !== 0) throw new Error(`autocannon failed (${out.code}): ${out.stderr}`)
  const r = JSON.parse(out.stdout) as {
    requests: { average: number; total: number }
    latency: { average: number; p50: number; p99: number; max: number }
    errors: number
    non2xx: number
  }
  return {
    rps: r.requests.average,
    requests: r.requests.total,
    latency: { avg: r.latency.average, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors,
    non2xx: r.non2xx,
  }
}
