/**
 * The HTTP/2 phase of `npm run bench` (BENCH_PHASES=h2): h2load with 10 connections × 100
 * concurrent streams (`-c 10 -m 100`) on `GET /` against weft (`http2: true`, cleartext prior
 * knowledge), raw node:http2 (the 'stream' API) and Fastify (`http2: true`); interleaved rounds,
 * servers on CPU 0 and h2load on CPU 1. Then TLS handshake time against weft's HTTPS server,
 * full and resumed with a TLS 1.3 ticket (bench/clients/tls-handshake.ts), p50 and p99.
 * Writes bench/results/latest-h2.md unless BENCH_SAVE=0.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { run, stop } from './lib/procs.ts'
import { fmtInt, fmtMs, fmtPct, fmtRatio, median, table, verdict } from './lib/report.ts'
import { startServer, type ServerSpec } from './lib/servers.ts'
import { processCpuSeconds } from './lib/cpu.ts'

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
}

const HANDSHAKE = fileURLToPath(new URL('./clients/tls-handshake.ts', import.meta.url))
const CA = fileURLToPath(new URL('../test/fixtures/tls/ca.pem', import.meta.url))

interface Sample {
  rate: number
  failed: number
  serverCpu: number
}

async function h2load(port: number, pid: number): Promise<Sample> {
  const srv0 = processCpuSeconds(pid)
  const t0 = performance.now()
  const args = ['-c', '10', '-m', '100', '-D', String(settings.duration), `--warm-up-time=${settings.warmup}`, `http://127.0.0.1:${port}/`]
  const out = await run('h2load', args, { cpu: '1', timeoutMs: (settings.duration + settings.warmup + 30) * 1000 })
  const wall = (performance.now() - t0) / 1000
  const rate = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(out.stdout)?.[1] ?? NaN)
  const m = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out.stdout)
  if (!Number.isFinite(rate) || m === null) throw new Error(`h2load failed (${out.code}): ${out.stdout.slice(-800)} ${out.stderr.slice(-800)}`)
  return { rate, failed: Number(m[2]) + Number(m[3]), serverCpu: (100 * (processCpuSeconds(pid) - srv0)) / wall }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}

async function handshakes(): Promise<{ full: number[]; resumed: number[]; reused: number }> {
  const server = await startServer(H2_SERVERS[0]!, { cpu: '0', env: { BENCH_TLS: '1' } })
  try {
    const out = await run(process.execPath, ['--conditions=source', '--import', 'tsx', HANDSHAKE, String(server.port), String(settings.handshakes), CA], { cpu: '1', timeoutMs: 300_000 })
    const line = out.stdout.split('\n').find((l) => l.startsWith('{"type":"result"'))
    if (line === undefined) throw new Error(`handshake client failed (${out.code}): ${out.stderr.slice(-1000)}`)
    return JSON.parse(line) as { full: number[]; resumed: number[]; reused: number }
  } finally {
    await stop(server.child)
  }
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
        log(`h2 round ${round + 1} ${spec.label.padEnd(10)} ${fmtInt(s.rate)} req/s (failed ${s.failed}, server CPU ${fmtPct(s.serverCpu)})`)
      } finally {
        await stop(server.child)
      }
    }
  }
  const hs = await handshakes()
  const rate = (id: string): number => median(samples[id]!.map((s) => s.rate))
  const vsFastify = rate('weft') / rate('fastify')
  const vsNode = rate('weft') / rate('node')
  const p = (v: number[], q: number): string => fmtMs(percentile(v, q))
  const failed = Object.values(samples).flat().reduce((n, s) => n + s.failed, 0)
  const lines = [
    `## HTTP/2 (${settings.rounds} rounds, ${settings.duration} s each, medians; h2load -c 10 -m 100, GET /)\n`,
    table(
      ['server', 'req/s', 'server CPU'],
      H2_SERVERS.map((s) => [s.label, fmtInt(rate(s.id)), fmtPct(median(samples[s.id]!.map((x) => x.serverCpu)))]),
    ),
    `\n### TLS handshakes against weft (${fmtInt(settings.handshakes)} each, sequential, TLS 1.3, ALPN h2)\n`,
    table(
      ['handshake', 'p50', 'p99'],
      [
        ['full', p(hs.full, 50), p(hs.full, 99)],
        [`resumed (${hs.reused}/${hs.resumed.length} reused)`, p(hs.resumed, 50), p(hs.resumed, 99)],
      ],
    ),
    `\n### targets\n`,
    table(
      ['target', 'value', ''],
      [
        ['≥ 1.1× Fastify over HTTP/2', fmtRatio(vsFastify), verdict(vsFastify >= 1.1)],
        ['≥ 0.9× raw node:http2', fmtRatio(vsNode), verdict(vsNode >= 0.9)],
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
    writeFileSync(file, JSON.stringify({ settings, samples, handshakes: hs }, null, 2))
  }
  return text
}
