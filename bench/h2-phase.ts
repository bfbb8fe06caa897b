/**
 * The HTTP/2 phase of `npm run bench` (BENCH_PHASES=h2): h2load with 10 connections × 100
 * concurrent streams (`-c 10 -m 100`) on `GET /` against weft (`http2: true`, cleartext prior
 * knowledge), raw node:http2 (the 'stream' API) and Fastify (`http2: true`); interleaved rounds,
 * servers on CPU 0 and h2load on CPU 1. Then TLS handshake time against weft's HTTPS server and a
 * bare node:tls server, full and resumed with a TLS 1.3 ticket (bench/clients/tls-handshake.ts),
 * p50 and p99.
 * Writes bench/results/latest-h2.md unless BENCH_SAVE=0.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { run, stop } from './lib/procs.ts'
import { fmtInt, fmtMs, fmtPct, fmtRatio, median, table, verdict } from './lib/report.ts'
import { startServer, type ServerSpec } from './lib/servers.ts'
import { cpuDelta, formatUsage, processCpuSeconds, readCpu, type CoreUsage } from './lib/cpu.ts'

const H2_SERVERS: ServerSpec[] = [
  { id: 'weft', label: 'weft', file: 'h2-weft.ts' },
  { id: 'node', label: 'node:http2', file: 'h2-node.ts' },
  { id: 'fastify', label: 'fastify', file: 'h2-fastify.ts' },
]

function env(name: string, fallback: number): number {
  const v = Number(process.env[name])
  return process.env[name] === undefined || process.env[name] === '' || !(v > 0) ? fallback : v
}

const settings = {
  rounds: Math.round(env('BENCH_H2_ROUNDS', env('BENCH_ROUNDS', 5))),
  duration: env('BENCH_DURATION', 5),
  warmup: env('BENCH_WARMUP', 2),
  handshakes: Math.round(env('BENCH_TLS_HANDSHAKES', 500)),
  // Pairs (full + resumed) each round opens before it records, as h2load has its warm-up time:
  // the first connections to a fresh server also meet its start-up work (JIT, the collection of
  // what loading its modules left), which is not handshake time. BENCH_TLS_WARMUP=0 records all.
  tlsWarmup: process.env.BENCH_TLS_WARMUP === undefined || process.env.BENCH_TLS_WARMUP === '' ? 32 : Math.max(0, Math.round(Number(process.env.BENCH_TLS_WARMUP)) || 0),
}

const HANDSHAKE = fileURLToPath(new URL('./clients/tls-handshake.ts', import.meta.url))
const CA = fileURLToPath(new URL('../test/fixtures/tls/ca.pem', import.meta.url))

interface Sample {
  rate: number
  failed: number
  serverCpu: number
  /** Per core over the measurement: steal and busy, in percent. */
  usage: Record<string, CoreUsage>
}

async function h2load(port: number, pid: number): Promise<Sample> {
  const srv0 = processCpuSeconds(pid)
  const cpu0 = readCpu()
  const t0 = performance.now()
  const args = ['-c', '10', '-m', '100', '-D', String(settings.duration), `--warm-up-time=${settings.warmup}`, `http://127.0.0.1:${port}/`]
  const out = await run('h2load', args, { cpu: '1', timeoutMs: (settings.duration + settings.warmup + 30) * 1000 })
  const wall = (performance.now() - t0) / 1000
  const usage = cpuDelta(cpu0, readCpu())
  const rate = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(out.stdout)?.[1] ?? NaN)
  const m = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out.stdout)
  if (!Number.isFinite(rate) || m === null) throw new Error(`h2load failed (${out.code}): ${out.stdout.slice(-800)} ${out.stderr.slice(-800)}`)
  return { rate, failed: Number(m[2]) + Number(m[3]), serverCpu: (100 * (processCpuSeconds(pid) - srv0)) / wall, usage }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}

interface Handshakes {
  full: number[]
  resumed: number[]
  reused: number
  /** Steal and busy per core in each round, in percent. */
  usage: Record<string, CoreUsage>[]
}

/** Median steal per core over samples: "0: 0.1% / 1: 0.3%". */
function stealOf(samples: Record<string, CoreUsage>[]): string {
  const cores = [...new Set(samples.flatMap((u) => Object.keys(u)))].sort()
  return cores.map((c) => `${c.replace('cpu', '')}: ${fmtPct(median(samples.map((u) => u[c]?.steal ?? NaN)))}`).join(' / ') || 'n/a'
}

const TLS_SERVERS: ServerSpec[] = [
  { id: 'weft', label: 'weft', file: 'h2-weft.ts' },
  { id: 'h2', label: 'node:http2', file: 'h2-node-tls.ts' },
  { id: 'tls', label: 'node:tls', file: 'tls-node.ts' },
]

/**
 * Handshake times against weft's HTTPS server and, in interleaved rounds, against raw
 * node:http2's secure server and a bare node:tls server with the same certificate: most of a
 * handshake here is the machine, OpenSSL and Node's socket setup, and the bare servers show how
 * much of it that is.
 */
async function handshakes(log: (s: string) => void): Promise<Record<string, Handshakes>> {
  const result: Record<string, Handshakes> = {}
  for (const spec of TLS_SERVERS) result[spec.id] = { full: [], resumed: [], reused: 0, usage: [] }
  const perRound = Math.max(1, Math.ceil(settings.handshakes / settings.rounds))
  for (let round = 0; round < settings.rounds; round++) {
    // Rotated each round, so no server always follows the same one.
    const order = TLS_SERVERS.map((_, i) => TLS_SERVERS[(i + round) % TLS_SERVERS.length]!)
    for (const spec of order) {
      const server = await startServer(spec, { cpu: '0', env: { BENCH_TLS: '1' } })
      try {
        const cpu0 = readCpu()
        const out = await run(process.execPath, ['--conditions=source', '--import', 'tsx', HANDSHAKE, String(server.port), String(perRound), CA, String(settings.tlsWarmup)], { cpu: '1', timeoutMs: 300_000 })
        const line = out.stdout.split('\n').find((l) => l.startsWith('{"type":"result"'))
        if (line === undefined) throw new Error(`handshake client failed (${out.code}): ${out.stderr.slice(-1000)}`)
        const usage = cpuDelta(cpu0, readCpu())
        const r = JSON.parse(line) as Handshakes
        const into = result[spec.id]!
        into.usage.push(usage)
        into.full.push(...r.full)
        into.resumed.push(...r.resumed)
        into.reused += r.reused
        log(`tls round ${round + 1} ${spec.label.padEnd(10)} full p50 ${fmtMs(percentile(r.full, 50))}, resumed p50 ${fmtMs(percentile(r.resumed, 50))} p99 ${fmtMs(percentile(r.resumed, 99))} · ${formatUsage(usage)}`)
      } finally {
        await stop(server.child)
      }
    }
  }
  return result
}

export async function phaseHttp2(log: (s: string) => void, save: boolean): Promise<string> {
  const samples: Record<string, Sample[]> = { weft: [], node: [], fastify: [] }
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? H2_SERVERS : [...H2_SERVERS].reverse()
    for (const spec of order) {
      const server = await startServer(spec, { cpu: '0', nofile: 65536 })
      try {
        const s = await h2load(server.port, server.pid)
        samples[spec.id]!.push(s)
        log(`h2 round ${round + 1} ${spec.label.padEnd(10)} ${fmtInt(s.rate)} req/s (failed ${s.failed}, server CPU ${fmtPct(s.serverCpu)}) · ${formatUsage(s.usage)}`)
      } finally {
        await stop(server.child)
      }
    }
  }
  const all = await handshakes(log)
  const hs = all.weft!
  const rate = (id: string): number => median(samples[id]!.map((s) => s.rate))
  const vsFastify = rate('weft') / rate('fastify')
  const vsNode = rate('weft') / rate('node')
  // The same comparison made within each round (the servers ran back to back), then the median:
  // a slow stretch of the machine then weighs on both sides of a ratio.
  const pairedVsNode = median(samples.weft!.map((s, i) => s.rate / samples.node![i]!.rate))
  const p = (v: number[], q: number): string => fmtMs(percentile(v, q))
  const failed = Object.values(samples).flat().reduce((n, s) => n + s.failed, 0)
  const lines = [
    `## HTTP/2 (${settings.rounds} rounds, ${settings.duration} s each, medians; h2load -c 10 -m 100, GET /)\n`,
    table(
      ['server', 'req/s', 'server CPU', 'steal cpu0 / cpu1'],
      H2_SERVERS.map((s) => [s.label, fmtInt(rate(s.id)), fmtPct(median(samples[s.id]!.map((x) => x.serverCpu))), stealOf(samples[s.id]!.map((x) => x.usage))]),
    ),
    `\n### TLS handshakes (${fmtInt(hs.full.length)} full and ${fmtInt(hs.resumed.length)} resumed per server in ${settings.rounds} interleaved rounds, each after ${settings.tlsWarmup} unrecorded warm-up pairs; sequential, alternating, TLS 1.3, ALPN h2; connect() to 'secureConnect' at the client)\n`,
    table(
      ['server', 'full p50', 'full p99', 'resumed p50', 'resumed p99', 'reused', 'steal cpu0 / cpu1'],
      TLS_SERVERS.map((spec) => {
        const h = all[spec.id]!
        return [spec.label, p(h.full, 50), p(h.full, 99), p(h.resumed, 50), p(h.resumed, 99), `${h.reused}/${h.resumed.length}`, stealOf(h.usage)]
      }),
    ),
    `\nweft's resumed p99 ÷ node:http2's: ${fmtRatio(percentile(hs.resumed, 99) / percentile(all.h2!.resumed, 99))}; ÷ node:tls's: ${fmtRatio(percentile(hs.resumed, 99) / percentile(all.tls!.resumed, 99))}`,
    `\n### targets\n`,
    table(
      ['target', 'value', ''],
      [
        ['≥ 1.1× Fastify over HTTP/2', fmtRatio(vsFastify), verdict(vsFastify >= 1.1)],
        ['≥ 0.9× raw node:http2', `${fmtRatio(vsNode)} (median of per-round ratios ${fmtRatio(pairedVsNode)})`, verdict(vsNode >= 0.9)],
        ['resumed handshake p99 < 5 ms (and resumed)', `${p(hs.resumed, 99)}, ${hs.reused}/${hs.resumed.length}`, verdict(percentile(hs.resumed, 99) < 5 && hs.reused === hs.resumed.length)],
        ['no failed requests', String(failed), verdict(failed === 0)],
      ],
    ),
  ]
  const text = lines.join('\n')
  if (save) {
    const dir = fileURLToPath(new URL('./results/', import.meta.url))
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true })
    writeFileSync(`${dir}latest-h2.md`, `${text}\n`)
    const day = new Date().toISOString().slice(0, 10)
    let file = `${dir}${day}-h2.json`
    for (let i = 2; existsSync(file); i++) file = `${dir}${day}-h2-${i}.json`
    writeFileSync(file, JSON.stringify({ settings, samples, handshakes: all }, null, 2))
  }
  return text
}
