/**
 * The weft/net phase of `npm run bench` (BENCH_PHASES=net): memory per connection of a TCP
 * echo server holding BENCH_NET_CONNS (10,000) open, idle connections, weft/net against raw
 * node:net in the same run. Each connection has echoed a few bytes once. The server is pinned
 * to CPU 0 and the client to CPU 1; RSS from /proc and the heap after GC, over IPC.
 * Writes bench/results/latest-net.md unless BENCH_SAVE=0.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'
import { launch, sleep, stop, waitForLine } from './lib/procs.ts'
import { fmtBytes, fmtInt, table, verdict } from './lib/report.ts'
import { startServer, type Running, type ServerSpec } from './lib/servers.ts'
import { askStats } from './lib/stats.ts'

const NET_SERVERS: ServerSpec[] = [
  { id: 'weft', label: 'weft/net', file: 'net-weft.ts' },
  { id: 'node', label: 'node:net', file: 'net-node.ts' },
]
const NOFILE = 65_536
const clientFile = fileURLToPath(new URL('./clients/echo-conns.ts', import.meta.url))

export async function phaseNetMemory(log: (line: string) => void, save: boolean): Promise<string> {
  const n = Number(process.env.BENCH_NET_CONNS) > 0 ? Number(process.env.BENCH_NET_CONNS) : 10_000
  log(`\n## weft/net: memory per idle connection, ${fmtInt(n)} echo connections\n`)
  const rows: string[][] = []
  const per: Record<string, number> = {}
  for (const spec of NET_SERVERS) {
    let server: Running | null = null
    let client: ChildProcess | null = null
    try {
      server = await startServer(spec, { cpu: '0', nofile: NOFILE, ipc: true, nodeFlags: ['--expose-gc'] })
      await sleep(300)
      const before = await askStats(server.child)
      client = launch(process.execPath, ['--import', 'tsx', clientFile, String(server.port), String(n)], { cpu: '1', nofile: NOFILE })
      const ready = JSON.parse(await waitForLine(client, /"type":"ready"/, 180_000)) as { open: number; failed: number; ms: number }
      await sleep(1000)
      const after = await askStats(server.child)
      const rss = ready.open > 0 ? (after.vmRss - before.vmRss) / ready.open : NaN
      const heap = ready.open > 0 ? (after.heapUsed - before.heapUsed) / ready.open : NaN
      per[spec.id] = rss
      log(`${spec.label.padEnd(9)} open ${fmtInt(ready.open)} (failed ${ready.failed}) · RSS ${fmtBytes(before.vmRss)} → ${fmtBytes(after.vmRss)} · per connection: RSS ${fmtBytes(rss)}, heap ${fmtBytes(heap)}`)
      rows.push([spec.label, fmtInt(ready.open), `${fmtBytes(before.vmRss)} → ${fmtBytes(after.vmRss)}`, fmtBytes(rss), fmtBytes(heap)])
    } catch (error) {
      log(`FAILED net ${spec.label}: ${(error as Error).message}`)
    } finally {
      if (client !== null) await stop(client, 5000)
      if (server !== null) await stop(server.child)
    }
  }
  const weft = per.weft ?? NaN
  const lines = [
    `## weft/net: memory per idle echo connection (${fmtInt(n)} open)`,
    '',
    table(['server', 'open', 'RSS before → after', 'RSS / conn', 'heap / conn'], rows),
    '',
    table(['target', 'measured', ''], [['< 8 KB RSS per connection', fmtBytes(weft), verdict(weft < 8 * 1024)]]),
  ]
  const md = lines.join('\n')
  if (save) {
    const dir = fileURLToPath(new URL('./results/', import.meta.url))
    mkdirSync(dir, { recursive: true })
    writeFileSync(`${dir}latest-net.md`, `${md}\n`)
  }
  return md
}
