/**
 * The WebSocket phase of `npm run bench` (BENCH_PHASES=ws): weft's server against the `ws`
 * package's, same machine, same run, interleaved rounds (the starting server alternates),
 * server pinned to CPU 0 and the load generator (bench/clients/ws-load.ts) to CPU 1:
 *   - echo of 32-byte binary messages, 50 connections with 16 in flight each (messages/s);
 *   - broadcast to 1,000 subscribers, 8 broadcasts in flight (deliveries/s); `ws` with a send loop;
 *   - memory per idle connection with 5,000 open (RSS and heap after GC, over IPC).
 * Writes bench/results/latest-ws.md (and a dated JSON) unless BENCH_SAVE=0.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'
import { cpuDelta, processCpuSeconds, readCpu } from './lib/cpu.ts'
import { launch, run, stop, waitForLine, sleep } from './lib/procs.ts'
import { fmtBytes, fmtInt, fmtPct, fmtRatio, median, table, verdict } from './lib/report.ts'
import { startServer, type Running, type ServerSpec } from './lib/servers.ts'
import type { MemoryStats } from './servers/common.ts'

const WS_SERVERS: ServerSpec[] = [
  { id: 'weft', label: 'weft', file: 'ws-weft.ts' },
  { id: 'ws', label: 'ws', file: 'ws-ws.ts' },
]

function env(name: string, fallback: number): number {
  const v = Number(process.env[name])
  return process.env[name] === undefined || process.env[name] === '' || !(v > 0) ? fallback : v
}

const settings = {
  rounds: Math.round(env('BENCH_WS_ROUNDS', env('BENCH_ROUNDS', 5))),
  duration: env('BENCH_DURATION', 5),
  warmup: env('BENCH_WARMUP', 2),
  subscribers: Math.round(env('BENCH_WS_SUBSCRIBERS', 1000)),
  idle: Math.round(env('BENCH_WS_IDLE', 5000)),
}

const LOAD = fileURLToPath(new URL('./clients/ws-load.ts', import.meta.url))
const NODE_FLAGS = ['--conditions=source', '--import', 'tsx']

interface Sample {
  rate: number
  serverCpu: number
  steal: number
}

async function loadOnce(server: Running, args: string[]): Promise<Sample> {
  const cpu0 = readCpu()
  const srv0 = processCpuSeconds(server.pid)
  const t0 = performance.now()
  const out = await run(process.execPath, [...NODE_FLAGS, LOAD, ...args], { cpu: '1', nofile: 65536, timeoutMs: (settings.duration + settings.warmup + 60) * 1000 })
  const line = out.stdout.split('\n').find((l) => l.startsWith('{"type":"result"'))
  if (line === undefined) throw new Error(`load generator failed (${out.code}): ${out.stderr.slice(-1000)}`)
  const r = JSON.parse(line) as { count: number; seconds: number }
  const wall = (performance.now() - t0) / 1000
  const usage = cpuDelta(cpu0, readCpu())
  return { rate: r.count / r.seconds, serverCpu: (100 * (processCpuSeconds(server.pid) - srv0)) / wall, steal: usage.cpu0?.steal ?? NaN }
}

function askStats(child: ChildProcess): Promise<MemoryStats & { vmRss: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no stats over IPC')), 10_000)
    child.once('message', (msg: { stats: MemoryStats }) => {
      clearTimeout(timer)
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN)
      resolve({ ...msg.stats, vmRss: kb * 1024 })
    })
    child.send({ type: 'stats' })
  })
}

async function memory(spec: ServerSpec, log: (s: string) => void): Promise<{ rss: number; heap: number; opened: number }> {
  const server = await startServer(spec, { cpu: '0', nofile: 65536, ipc: true, nodeFlags: ['--expose-gc'] })
  let client: ChildProcess | null = null
  try {
    // Warm up the upgrade path so its code and tables are in the baseline.
    await run(process.execPath, [...NODE_FLAGS, LOAD, 'echo', String(server.port), '4', '1', '0.3', '0.1'], { cpu: '1', timeoutMs: 30_000 })
    await sleep(300)
    const before = await askStats(server.child)
    client = launch(process.execPath, [...NODE_FLAGS, LOAD, 'idle', String(server.port), String(settings.idle)], { cpu: '1', nofile: 65536 })
    const ready = JSON.parse(await waitForLine(client, /"type":"ready"/, 120_000)) as { opened: number }
    await sleep(1000)
    const after = await askStats(server.child)
    const rss = (after.vmRss - before.vmRss) / ready.opened
    const heap = (after.heapUsed - before.heapUsed) / ready.opened
    log(`ws memory ${spec.label.padEnd(5)} ${fmtInt(ready.opened)} idle: RSS ${fmtBytes(before.vmRss)} → ${fmtBytes(after.vmRss)} · per connection RSS ${fmtBytes(rss)}, heap ${fmtBytes(heap)}`)
    return { rss, heap, opened: ready.opened }
  } finally {
    if (client !== null) await stop(client, 5000)
    await stop(server.child)
  }
}

export async function phaseWebSocket(log: (s: string) => void, save: boolean): Promise<string> {
  const echo: Record<string, Sample[]> = { weft: [], ws: [] }
  const bcast: Record<string, Sample[]> = { weft: [], ws: [] }
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? WS_SERVERS : [...WS_SERVERS].reverse()
    for (const spec of order) {
      const server = await startServer(spec, { cpu: '0', nofile: 65536 })
      try {
        const e = await loadOnce(server, ['echo', String(server.port), '50', '16', String(settings.duration), String(settings.warmup)])
        echo[spec.id]!.push(e)
        log(`ws round ${round + 1} ${spec.label.padEnd(5)} echo ${fmtInt(e.rate)} msg/s (server CPU ${fmtPct(e.serverCpu)}, steal ${fmtPct(e.steal)})`)
        const b = await loadOnce(server, ['bcast', String(server.port), String(settings.subscribers), '8', String(settings.duration), String(settings.warmup)])
        bcast[spec.id]!.push(b)
        log(`ws round ${round + 1} ${spec.label.padEnd(5)} broadcast ${fmtInt(b.rate)} deliveries/s (server CPU ${fmtPct(b.serverCpu)}, steal ${fmtPct(b.steal)})`)
      } finally {
        await stop(server.child)
      }
    }
  }
  const mem: Record<string, { rss: number; heap: number; opened: number }> = {}
  for (const spec of WS_SERVERS) mem[spec.id] = await memory(spec, log)

  const med = (s: Sample[], k: keyof Sample): number => median(s.map((x) => x[k]))
  const rows = (data: Record<string, Sample[]>, unit: string): string[][] =>
    WS_SERVERS.map((s) => [s.label, `${fmtInt(med(data[s.id]!, 'rate'))} ${unit}`, fmtPct(med(data[s.id]!, 'serverCpu')), fmtPct(med(data[s.id]!, 'steal'))])
  const echoRatio = med(echo.weft!, 'rate') / med(echo.ws!, 'rate')
  const bcastRatio = med(bcast.weft!, 'rate') / med(bcast.ws!, 'rate')
  const lines = [
    `## WebSocket (${settings.rounds} rounds, ${settings.duration} s each, medians)\n`,
    `### echo, 32-byte messages, 50 connections × 16 in flight\n`,
    table(['server', 'rate', 'server CPU', 'steal cpu0'], rows(echo, 'msg/s')),
    `\nweft / ws: ${fmtRatio(echoRatio)}\n`,
    `### broadcast to ${fmtInt(settings.subscribers)} subscribers, 8 in flight (ws: send loop)\n`,
    table(['server', 'rate', 'server CPU', 'steal cpu0'], rows(bcast, 'deliveries/s')),
    `\nweft / ws: ${fmtRatio(bcastRatio)}\n`,
    `### memory per idle connection (${fmtInt(settings.idle)} open)\n`,
    table(['server', 'RSS / conn', 'heap / conn'], WS_SERVERS.map((s) => [s.label, fmtBytes(mem[s.id]!.rss), fmtBytes(mem[s.id]!.heap)])),
    `\n### targets\n`,
    table(
      ['target', 'value', ''],
      [
        ['echo ≥ 1.2× ws and > 100k msg/s', `${fmtRatio(echoRatio)}, ${fmtInt(med(echo.weft!, 'rate'))} msg/s`, verdict(echoRatio >= 1.2 && med(echo.weft!, 'rate') > 100_000)],
        ['broadcast ≥ 2× ws', fmtRatio(bcastRatio), verdict(bcastRatio >= 2)],
        ['< 8 KB RSS per idle connection and below ws', `${fmtBytes(mem.weft!.rss)} vs ${fmtBytes(mem.ws!.rss)}`, verdict(mem.weft!.rss < 8000 && mem.weft!.rss < mem.ws!.rss)],
      ],
    ),
  ]
  const text = lines.join('\n')
  if (save) {
    const dir = fileURLToPath(new URL('./results/', import.meta.url))
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true })
    writeFileSync(`${dir}latest-ws.md`, `${text}\n`)
    const day = new Date().toISOString().slice(0, 10)
    let file = `${dir}${day}-ws.json`
    for (let i = 2; existsSync(file); i++) file = `${dir}${day}-ws-${i}.json`
    writeFileSync(file, JSON.stringify({ settings, echo, bcast, memory: mem }, null, 2))
  }
  return text
}
