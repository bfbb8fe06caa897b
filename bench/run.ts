/**
 * weft's HTTP benchmark (issue #2): weft against raw node:http, Fastify, Hono and Express on
 * `GET /` and `GET /users/:id`, with a raw node:net responder as the ceiling; then p99 latency
 * at one connection and memory per idle keep-alive connection. See bench/README.md.
 *
 * Each server runs alone in its own process on CPU 0, the load generator on CPU 1; rounds are
 * interleaved so that drift on the host spreads over every server alike.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'
import { formatUsage, holdDmaLatencyZero, startIdleSpinners, cpuidleDriver, type CoreUsage } from './lib/cpu.ts'
import { load, pickGenerator, type Generator } from './lib/load.ts'
import { measure as measureOn, processClock, waitForQuiet as waitForQuietOn, type Measured, type MeasureSettings } from './lib/measure.ts'
import { HAS_TASKSET, installExitHandlers, killAll, launch, onCleanup, sleep, stop, waitForLine } from './lib/procs.ts'
import { fmtBytes, fmtInt, fmtMs, fmtPct, fmtRatio, max, median, min, table, verdict } from './lib/report.ts'
import { checkRoute, prepareWeft, ROUTES, SERVERS, startServer, type Running, type ServerSpec } from './lib/servers.ts'
import { askStats } from './lib/stats.ts'
import { STATIC_SERVERS } from './lib/static-servers.ts'
import { runStatic, saveStatic } from './static.ts'
import { phaseWebSocket } from './ws-phase.ts'
import { phaseNetMemory } from './net-phase.ts'
import { phaseHttp2 } from './h2-phase.ts'
import type { MemoryStats } from './servers/common.ts'

// ---------------------------------------------------------------------------------------------
// Settings

function envNumber(name: string, fallback: number, zeroOk = false): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) throw new Error(`${name} must be a positive number, got ${raw}`)
  return n
}

function envList(name: string): string[] | null {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return null
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

const config = {
  rounds: Math.round(envNumber('BENCH_ROUNDS', 5)),
  duration: envNumber('BENCH_DURATION', 5),
  warmup: envNumber('BENCH_WARMUP', 2),
  connections: Math.round(envNumber('BENCH_CONNECTIONS', 50)),
  latencyRounds: Math.round(envNumber('BENCH_LATENCY_ROUNDS', 3)),
  memConnections: Math.round(envNumber('BENCH_MEM_CONNS', 10_000)),
  generator: pickGenerator(process.env.BENCH_LOADGEN),
  only: envList('BENCH_ONLY'),
  phases: envList('BENCH_PHASES') ?? ['throughput', 'latency', 'memory', 'static', 'stream-memory', 'ws', 'h2', 'net'],
  streamSeconds: envNumber('BENCH_STREAM_SECONDS', 20),
  streamRate: envNumber('BENCH_STREAM_RATE', 1_000_000),
  save: process.env.BENCH_SAVE !== '0',
  spin: process.env.BENCH_SPIN === '1',
  retries: Math.round(envNumber('BENCH_RETRIES', 2, true)),
  maxForeign: envNumber('BENCH_MAX_FOREIGN', 10),
  quietWait: envNumber('BENCH_QUIET_WAIT', 20, true),
}

const SERVER_CPU = '0'
const LOAD_CPU = '1'
const ALIASES: Record<string, string> = { 'node:http': 'node', http: 'node', 'raw-net': 'net', 'node:net': 'net', raw: 'net' }

const PHASES = ['throughput', 'latency', 'memory', 'static', 'stream-memory', 'ws', 'h2', 'net']
const HTTP_PHASES = ['throughput', 'latency', 'memory']

/** BENCH_ONLY's ids, with aliases resolved (null: every server). */
function onlyIds(): string[] | null {
  if (config.only === null) return null
  const ids = config.only.map((s) => ALIASES[s.toLowerCase()] ?? s.toLowerCase())
  // Ids of either phase family: nginx only runs in the static phase, hono only in the HTTP one.
  const known = new Set([...SERVERS.map((s) => s.id), ...STATIC_SERVERS.map((s) => s.id)])
  for (const id of ids) if (!known.has(id)) throw new Error(`BENCH_ONLY: unknown server "${id}" (known: ${[...known].join(', ')})`)
  return ids
}

function selected(): ServerSpec[] {
  const ids = onlyIds()
  return ids === null ? SERVERS : SERVERS.filter((s) => ids.includes(s.id))
}

// ---------------------------------------------------------------------------------------------
// Results

interface Sample {
  round: number
  rps: number
  /** The server process's CPU use over the measurement, in % of one core. */
  serverCpu: number
  /** CPU used by processes outside this benchmark over the measurement (% of one core). */
  foreign: number
  p50: number
  p99: number
  errors: number
  non2xx: number
  cpu: Record<string, CoreUsage>
}

type LatencySample = Sample

interface MemoryResult {
  connections: number
  opened: number
  failed: number
  stillOpen: number | null
  openMs: number
  before: MemoryStats & { vmRss: number }
  after: MemoryStats & { vmRss: number }
  perConnection: { rss: number; heapUsed: number; external: number }
}

const throughput: Record<string, Record<string, Sample[]>> = {}
const responseBytes: Record<string, Record<string, number>> = {}
const latency: Record<string, LatencySample[]> = {}
const memory: Record<string, MemoryResult> = {}
const failures: string[] = []

function toSample(round: number, m: Measured): Sample {
  const r = m.result
  return { round, rps: r.rps, serverCpu: m.serverCpu, foreign: m.foreign, cpu: m.cpu, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx }
}

const log = (line: string): void => void process.stdout.write(`${line}\n`)

/** How every phase measures (bench/lib/measure.ts). */
const measuring: MeasureSettings = {
  generator: config.generator,
  loadCpu: LOAD_CPU,
  retries: config.retries,
  maxForeign: config.maxForeign,
  quietWait: config.quietWait,
  log,
}
const waitForQuiet = (server: Running): Promise<void> => waitForQuietOn(measuring, processClock(server.pid))
const measure = (_gen: Generator, server: Running, url: string, connections: number, seconds: number, label: string): Promise<Measured> =>
  measureOn(measuring, processClock(server.pid), url, connections, seconds, label)

// ---------------------------------------------------------------------------------------------
// Phase 1: throughput, interleaved rounds

async function phaseThroughput(servers: ServerSpec[]): Promise<void> {
  log(`\n## Throughput: ${config.rounds} rounds × ${servers.length} servers × ${ROUTES.length} routes, ${config.connections} connections, ${config.warmup}s warm-up + ${config.duration}s measured\n`)
  for (let round = 1; round <= config.rounds; round++) {
    // Rotate the starting server each round so none always runs first (or last) in a round.
    const order = servers.map((_, i) => servers[(i + round - 1) % servers.length]!)
    for (const spec of order) {
      let server: Running | null = null
      try {
        server = await startServer(spec, { cpu: SERVER_CPU })
        for (const route of ROUTES) {
          const bytes = await checkRoute(server.port, route)
          ;(responseBytes[spec.id] ??= {})[route.id] = bytes
          const url = `http://127.0.0.1:${server.port}${route.path}`
          await waitForQuiet(server)
          await load(config.generator, { url, connections: config.connections, seconds: config.warmup, cpu: LOAD_CPU })
          const m = await measure(config.generator, server, url, config.connections, config.duration, `${spec.label} ${route.path}`)
          const { result, cpu, serverCpu } = m
          const sample = toSample(round, m)
          ;((throughput[spec.id] ??= {})[route.id] ??= []).push(sample)
          const flags = (result.errors > 0 ? ` socket-errors ${result.errors}` : '') + (result.non2xx > 0 ? ` NON-2XX ${result.non2xx}` : '')
          log(
            `round ${round}/${config.rounds}  ${spec.label.padEnd(13)} ${route.path.padEnd(10)} ${fmtInt(result.rps).padStart(8)} req/s  p99 ${fmtMs(result.latency.p99).padStart(9)}  server CPU ${serverCpu.toFixed(0).padStart(3)}%  ${formatUsage(cpu)} · others ${m.foreign.toFixed(0)}%${flags}`,
          )
        }
      } catch (error) {
        const msg = `round ${round} ${spec.label}: ${(error as Error).message}`
        failures.push(msg)
        log(`FAILED ${msg}`)
      } finally {
        if (server !== null) await stop(server.child)
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 2: latency at one connection

async function phaseLatency(servers: ServerSpec[]): Promise<void> {
  const list = servers.filter((s) => s.id === 'weft' || s.id === 'node')
  if (list.length === 0) return
  log(`\n## Latency at 1 connection (GET /): ${config.latencyRounds} rounds, ${config.warmup}s warm-up + ${config.duration}s measured\n`)
  for (let round = 1; round <= config.latencyRounds; round++) {
    for (const spec of list) {
      let server: Running | null = null
      try {
        server = await startServer(spec, { cpu: SERVER_CPU })
        const url = `http://127.0.0.1:${server.port}/`
        await waitForQuiet(server)
        await load(config.generator, { url, connections: 1, seconds: config.warmup, cpu: LOAD_CPU })
        const m = await measure(config.generator, server, url, 1, config.duration, `${spec.label} 1c`)
        const { result, cpu } = m
        ;(latency[spec.id] ??= []).push(toSample(round, m))
        log(
          `round ${round}/${config.latencyRounds}  ${spec.label.padEnd(10)} p50 ${fmtMs(result.latency.p50).padStart(9)}  p99 ${fmtMs(result.latency.p99).padStart(9)}  ${fmtInt(result.rps).padStart(7)} req/s  ${formatUsage(cpu)} · others ${m.foreign.toFixed(0)}%`,
        )
      } catch (error) {
        const msg = `latency round ${round} ${spec.label}: ${(error as Error).message}`
        failures.push(msg)
        log(`FAILED ${msg}`)
      } finally {
        if (server !== null) await stop(server.child)
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 3: memory per idle keep-alive connection

const NOFILE = 65_536
const clientFile = fileURLToPath(new URL('./clients/idle-conns.ts', import.meta.url))

function nextJsonLine(child: ChildProcess, type: string, timeoutMs: number): Promise<Record<string, number>> {
  return waitForLine(child, new RegExp(`"type":"${type}"`), timeoutMs).then((line) => JSON.parse(line) as Record<string, number>)
}

async function phaseMemory(servers: ServerSpec[]): Promise<void> {
  const list = servers.filter((s) => s.id === 'weft' || s.id === 'node')
  if (list.length === 0) return
  const n = config.memConnections
  log(`\n## Memory per idle keep-alive connection: ${fmtInt(n)} connections (one GET / each, then idle)\n`)
  for (const spec of list) {
    let server: Running | null = null
    let client: ChildProcess | null = null
    try {
      // Idle keep-alive timeout raised to 120 s so the connections stay open while we measure.
      server = await startServer(spec, { cpu: SERVER_CPU, nofile: NOFILE, ipc: true, nodeFlags: ['--expose-gc'], env: { BENCH_KEEPALIVE_MS: '120000' } })
      // Warm the request path so that first-use allocations (JIT code, lazily built tables)
      // are in the baseline rather than counted against the connections.
      for (const route of ROUTES) {
        await load(config.generator, { url: `http://127.0.0.1:${server.port}${route.path}`, connections: 10, seconds: 1, cpu: LOAD_CPU })
      }
      await sleep(500)
      const before = await askStats(server.child)
      client = launch(process.execPath, ['--import', 'tsx', clientFile, String(server.port), String(n), '/'], { cpu: LOAD_CPU, nofile: NOFILE })
      const ready = await nextJsonLine(client, 'ready', 180_000)
      await sleep(1000)
      const after = await askStats(server.child)
      client.stdin!.write('status\n')
      const status = await nextJsonLine(client, 'status', 5_000).catch(() => null)
      const opened = ready.open ?? 0
      const stillOpen = status === null ? null : (status.open ?? 0) - (status.closedEarly ?? 0)
      const per = (a: number, b: number): number => (opened > 0 ? (a - b) / opened : NaN)
      const result: MemoryResult = {
        connections: n,
        opened,
        failed: ready.failed ?? 0,
        stillOpen,
        openMs: ready.ms ?? 0,
        before,
        after,
        perConnection: {
          rss: per(after.vmRss, before.vmRss),
          heapUsed: per(after.heapUsed, before.heapUsed),
          external: per(after.external, before.external),
        },
      }
      memory[spec.id] = result
      log(
        `${spec.label.padEnd(10)} opened ${fmtInt(opened)} (failed ${result.failed}, still open ${stillOpen ?? '?'}) in ${result.openMs} ms · ` +
          `RSS ${fmtBytes(before.vmRss)} → ${fmtBytes(after.vmRss)} · heap ${fmtBytes(before.heapUsed)} → ${fmtBytes(after.heapUsed)} · ` +
          `per connection: RSS ${fmtBytes(result.perConnection.rss)}, heap ${fmtBytes(result.perConnection.heapUsed)}`,
      )
    } catch (error) {
      const msg = `memory ${spec.label}: ${(error as Error).message}`
      failures.push(msg)
      log(`FAILED ${msg}`)
    } finally {
      if (client !== null) await stop(client, 5000)
      if (server !== null) await stop(server.child)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Summary

interface RouteSummary {
  rps: number
  rpsMin: number
  rpsMax: number
  p99: number
  serverCpu: number
  /** Requests per CPU-second of the server process: efficiency, less sensitive to a busy host. */
  perCpuSecond: number
  foreign: number
  steal: Record<string, number>
  busy: Record<string, number>
  rounds: number
}

function summarize(samples: Sample[]): RouteSummary {
  const cores = [...new Set(samples.flatMap((s) => Object.keys(s.cpu)))].sort()
  const steal: Record<string, number> = {}
  const busy: Record<string, number> = {}
  for (const c of cores) {
    steal[c] = median(samples.map((s) => s.cpu[c]?.steal ?? NaN))
    busy[c] = median(samples.map((s) => s.cpu[c]?.busy ?? NaN))
  }
  const rps = samples.map((s) => s.rps)
  return {
    rps: median(rps),
    rpsMin: min(rps),
    rpsMax: max(rps),
    p99: median(samples.map((s) => s.p99)),
    serverCpu: median(samples.map((s) => s.serverCpu)),
    perCpuSecond: median(samples.map((s) => (s.serverCpu > 0 ? (100 * s.rps) / s.serverCpu : NaN))),
    foreign: median(samples.map((s) => s.foreign)),
    steal,
    busy,
    rounds: samples.length,
  }
}

/** weft / peer per round (same round, so slow drift on the host cancels), min and max. */
function pairedRatios(route: string, peer: string): number[] {
  const w = throughput.weft?.[route] ?? []
  const p = throughput[peer]?.[route] ?? []
  const out: number[] = []
  for (const a of w) {
    const b = p.find((s) => s.round === a.round)
    if (b !== undefined && b.rps > 0) out.push(a.rps / b.rps)
  }
  return out
}

const stealText = (s: Record<string, number>): string =>
  Object.entries(s)
    .map(([c, v]) => `${c.replace('cpu', '')}: ${fmtPct(v)}`)
    .join(' / ') || 'n/a'

function buildSummary(servers: ServerSpec[]): { text: string; data: Record<string, unknown> } {
  const lines: string[] = []
  const data: Record<string, unknown> = {}
  const targets: Array<{ name: string; value: string; ok: boolean | null }> = []

  const tp: Record<string, Record<string, RouteSummary>> = {}
  for (const spec of servers) {
    for (const route of ROUTES) {
      const samples = throughput[spec.id]?.[route.id]
      if (samples !== undefined && samples.length > 0) (tp[spec.id] ??= {})[route.id] = summarize(samples)
    }
  }
  data.throughput = tp

  const ratios: Record<string, Record<string, { median: number; pairedMin: number; pairedMax: number; perCpuSecond: number }>> = {}
  if (Object.keys(tp).length > 0) {
    for (const route of ROUTES) {
      lines.push(`### GET ${route.path}\n`)
      const weft = tp.weft?.[route.id]
      const rows: string[][] = []
      for (const spec of servers) {
        const s = tp[spec.id]?.[route.id]
        if (s === undefined) continue
        let ratio = 'n/a'
        let cpuRatio = 'n/a'
        if (weft !== undefined && spec.id !== 'weft') {
          const r = weft.rps / s.rps
          const paired = pairedRatios(route.id, spec.id)
          const perCpu = weft.perCpuSecond / s.perCpuSecond
          ;(ratios[route.id] ??= {})[spec.id] = { median: r, pairedMin: min(paired), pairedMax: max(paired), perCpuSecond: perCpu }
          ratio = `${fmtRatio(r)} (${fmtRatio(min(paired))}–${fmtRatio(max(paired))})`
          cpuRatio = fmtRatio(perCpu)
        } else if (spec.id === 'weft') ratio = cpuRatio = '1.000×'
        rows.push([
          spec.label,
          fmtInt(s.rps),
          `${fmtInt(s.rpsMin)}–${fmtInt(s.rpsMax)}`,
          fmtMs(s.p99),
          ratio,
          `${s.serverCpu.toFixed(0)}%`,
          fmtInt(s.perCpuSecond),
          cpuRatio,
          stealText(s.steal),
          stealText(s.busy),
          fmtPct(s.foreign),
          String(responseBytes[spec.id]?.[route.id] ?? 'n/a'),
        ])
      }
      lines.push(table(['server', 'req/s (median)', 'min–max', `p99 @${config.connections}c`, 'weft / server (per-round range)', 'server CPU', 'req per CPU-s', 'weft / server per CPU-s', 'steal cpu0 / cpu1', 'busy cpu0 / cpu1', 'others', 'resp bytes'], rows))
      lines.push('')
      const node = ratios[route.id]?.node
      if (node !== undefined) targets.push({ name: `weft ≥ 0.95× node:http on GET ${route.path}`, value: `${fmtRatio(node.median)} (per CPU-s ${fmtRatio(node.perCpuSecond)})`, ok: node.median >= 0.95 })
      const fastify = ratios[route.id]?.fastify
      if (fastify !== undefined) targets.push({ name: `weft ahead of Fastify on GET ${route.path}`, value: `${fmtRatio(fastify.median)} (per CPU-s ${fmtRatio(fastify.perCpuSecond)})`, ok: fastify.median > 1 })
    }
  }
  data.ratios = ratios

  const lat: Record<string, { p50: number; p99: number; rps: number; steal: Record<string, number>; rounds: number }> = {}
  for (const [id, samples] of Object.entries(latency)) {
    const s = summarize(samples)
    lat[id] = { p50: median(samples.map((x) => x.p50)), p99: s.p99, rps: s.rps, steal: s.steal, rounds: samples.length }
  }
  data.latency = lat
  if (Object.keys(lat).length > 0) {
    lines.push('### Latency at 1 connection (GET /)\n')
    lines.push(
      table(
        ['server', 'p50 (median)', 'p99 (median)', 'req/s', 'steal cpu0 / cpu1', 'target p99 < 1 ms'],
        Object.entries(lat).map(([id, l]) => [SERVERS.find((s) => s.id === id)!.label, fmtMs(l.p50), fmtMs(l.p99), fmtInt(l.rps), stealText(l.steal), verdict(l.p99 < 1)]),
      ),
    )
    lines.push('')
    if (lat.weft !== undefined) targets.push({ name: 'weft p99 < 1 ms at 1 connection', value: fmtMs(lat.weft.p99), ok: lat.weft.p99 < 1 })
  }

  data.memory = memory
  if (Object.keys(memory).length > 0) {
    lines.push(`### Memory per idle keep-alive connection (${fmtInt(config.memConnections)} connections)\n`)
    lines.push(
      table(
        ['server', 'opened', 'RSS before → after', 'heap before → after', 'RSS / conn', 'heap / conn', 'target < 8 KB'],
        Object.entries(memory).map(([id, m]) => [
          SERVERS.find((s) => s.id === id)!.label,
          `${fmtInt(m.opened)}${m.failed > 0 ? ` (${m.failed} failed)` : ''}`,
          `${fmtBytes(m.before.vmRss)} → ${fmtBytes(m.after.vmRss)}`,
          `${fmtBytes(m.before.heapUsed)} → ${fmtBytes(m.after.heapUsed)}`,
          fmtBytes(m.perConnection.rss),
          fmtBytes(m.perConnection.heapUsed),
          verdict(m.perConnection.rss < 8 * 1024),
        ]),
      ),
    )
    lines.push('')
    const w = memory.weft
    if (w !== undefined) targets.push({ name: 'weft < 8 KB RSS per idle keep-alive connection', value: fmtBytes(w.perConnection.rss), ok: w.perConnection.rss < 8 * 1024 })
  }

  if (targets.length > 0) {
    lines.push('### Targets\n')
    lines.push(table(['target', 'measured', ''], targets.map((t) => [t.name, t.value, verdict(t.ok)])))
    lines.push('')
  }
  data.targets = targets
  if (failures.length > 0) {
    lines.push('### Failures\n')
    for (const f of failures) lines.push(`- ${f.split('\n')[0]}`)
    lines.push('')
  }
  return { text: lines.join('\n'), data }
}

function environment(): Record<string, unknown> {
  const model = cpus()[0]?.model ?? 'unknown'
  return {
    node: process.version,
    cpu: model,
    cores: cpus().length,
    generator: config.generator,
    taskset: HAS_TASKSET,
    serverCpu: HAS_TASKSET ? SERVER_CPU : null,
    loadCpu: HAS_TASKSET ? LOAD_CPU : null,
    cpuidle: cpuidleDriver(),
    spinners: config.spin,
  }
}

function save(summary: { text: string; data: Record<string, unknown> }, env: Record<string, unknown>, dmaHeld: boolean, started: Date): void {
  const dir = fileURLToPath(new URL('./results/', import.meta.url))
  mkdirSync(dir, { recursive: true })
  const stamp = started.toISOString().slice(0, 10)
  let file = `${dir}${stamp}-http.json`
  for (let i = 2; existsSync(file); i++) file = `${dir}${stamp}-${i}-http.json`
  const json = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    environment: { ...env, dmaLatencyHeld: dmaHeld },
    config,
    summary: summary.data,
    samples: { throughput, latency },
    responseBytes,
    failures,
  }
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`)
  const md = [
    `# weft HTTP benchmark — ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Node ${env.node} · ${env.cpu} · ${env.cores} cores · load generator ${env.generator}` +
      (HAS_TASKSET ? ` · server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : ' · no taskset (unpinned)') +
      ` · /dev/cpu_dma_latency ${dmaHeld ? 'held at 0' : 'not held'} (cpuidle driver: ${env.cpuidle ?? 'n/a'})` +
      (config.spin ? ' · SCHED_IDLE spinners on' : ''),
    `${config.rounds} rounds × ${config.duration}s (after ${config.warmup}s warm-up), ${config.connections} keep-alive connections; medians of the rounds. ` +
      `Raw data: \`${file.slice(dir.length)}\`. How to read this: bench/README.md.`,
    '',
    summary.text,
  ].join('\n')
  writeFileSync(`${dir}latest-http.md`, md)
  log(`wrote bench/results/${file.slice(dir.length)} and bench/results/latest-http.md`)
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  installExitHandlers()
  const started = new Date()
  for (const p of config.phases) if (!PHASES.includes(p)) throw new Error(`BENCH_PHASES: unknown phase "${p}" (known: ${PHASES.join(', ')})`)
  const servers = selected()
  const release = holdDmaLatencyZero()
  if (release !== null) onCleanup(release)
  const env = environment()
  log(`weft benchmark · Node ${env.node} · ${env.cpu} × ${env.cores} · ${config.generator}` + (HAS_TASKSET ? ` · servers on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : ' · taskset missing: unpinned'))
  log(`/dev/cpu_dma_latency: ${release !== null ? 'held at 0 for the run' : 'not held'} · servers: ${servers.map((s) => s.label).join(', ')} · phases: ${config.phases.join(', ')}`)
  if (cpus().length < 2) log('warning: fewer than 2 CPUs; server and load generator share a core')
  if (release !== null && env.cpuidle === 'none') {
    log('note: no cpuidle driver here (idle is a plain HLT), so the /dev/cpu_dma_latency request cannot keep cores from halting; BENCH_SPIN=1 can')
  }
  if (config.spin) {
    const stopSpinners = startIdleSpinners([SERVER_CPU, LOAD_CPU])
    onCleanup(() => void stopSpinners())
    log('BENCH_SPIN=1: SCHED_IDLE spinners on CPUs 0 and 1 (cores never halt; "busy" then reads 100%)')
  }

  log(`weft under test: ${prepareWeft()}`)
  if (config.phases.includes('throughput')) await phaseThroughput(servers)
  if (config.phases.includes('latency')) await phaseLatency(servers)
  if (config.phases.includes('memory')) await phaseMemory(servers)

  if (config.phases.some((p) => HTTP_PHASES.includes(p))) {
    const summary = buildSummary(servers)
    log(`\n## Summary\n\n${summary.text}`)
    if (config.save) save(summary, env, release !== null, started)
  }

  if (config.phases.includes('static') || config.phases.includes('stream-memory')) {
    const staticConfig = { ...config, only: onlyIds(), serverCpu: SERVER_CPU }
    const result = await runStatic(staticConfig, measuring)
    failures.push(...result.failures)
    log(`\n## Summary (static files)\n\n${result.text}`)
    if (config.save) {
      const header = `Node ${env.node} · ${env.cpu} · ${env.cores} cores · load generator ${env.generator}` + (HAS_TASKSET ? ` · servers on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : ' · unpinned') + `\n${config.rounds} rounds × ${config.duration}s (after ${config.warmup}s warm-up), ${config.connections} keep-alive connections; medians of the rounds.`
      const name = saveStatic(result, header, { ...env, dmaLatencyHeld: release !== null }, staticConfig, result.failures, started)
      log(`wrote bench/results/${name} and bench/results/latest-static.md`)
    }
  }

  // WebSocket: weft vs the ws package (echo, broadcast, idle memory); see bench/ws-phase.ts.
  if (config.phases.includes('ws')) log(`\n${await phaseWebSocket(log, config.save)}`)
  // weft/net: memory per idle TCP echo connection, against raw node:net; see bench/net-phase.ts.
  if (config.phases.includes('net')) log(`\n${await phaseNetMemory(log, config.save)}`)
  // HTTP/2: weft vs raw node:http2 and Fastify under h2load, and TLS handshake times; bench/h2-phase.ts.
  if (config.phases.includes('h2')) log(`\n${await phaseHttp2(log, config.save)}`)
}

main().then(
  () => {
    killAll()
    process.exit(failures.length > 0 ? 1 : 0)
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error)
    killAll()
    process.exit(1)
  },
)
