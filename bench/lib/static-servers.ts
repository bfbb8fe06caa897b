/**
 * The static-file servers under test: weft's app.static(), @fastify/static, express.static and
 * nginx (Debian's, started here with a generated config), the files they serve, and how to
 * start, check and stop each.
 */
import type { ChildProcess } from 'node:child_process'
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processCpuSeconds } from './cpu.ts'
import type { CpuClock } from './measure.ts'
import { freePort, launch, onCleanup, sleep, stop } from './procs.ts'
import { rawGet, startServer, type StartOptions } from './servers.ts'

export interface StaticSpec {
  /** Key used in BENCH_ONLY and the results. */
  id: string
  label: string
  /** A Node server in bench/servers/, or nginx. */
  file: string | 'nginx'
}

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? null

export const STATIC_SERVERS: StaticSpec[] = [
  { id: 'weft', label: 'weft app.static', file: 'static-weft.ts' },
  { id: 'fastify', label: '@fastify/static', file: 'static-fastify.ts' },
  { id: 'express', label: 'express.static', file: 'static-express.ts' },
  { id: 'nginx', label: 'nginx', file: 'nginx' },
]

export interface StaticFile {
  id: string
  path: string
  size: number
}

export const STATIC_FILES: StaticFile[] = [
  { id: '1k', path: '/1k.txt', size: 1024 },
  { id: '100k', path: '/100k.txt', size: 100 * 1024 },
]

/** The sparse file of the memory phase: 1 GiB that takes no disk space. */
export const BIG_FILE = { path: '/big.bin', size: 1024 * 1024 * 1024 }

/**
 * A temporary folder with the benchmark's files, readable by every user (nginx's worker runs as
 * `nobody` when the benchmark runs as root). Removed when the run ends.
 */
export function createFixture(withBigFile: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-static-'))
  chmodSync(dir, 0o755)
  for (const f of STATIC_FILES) {
    const line = 'weft static benchmark: the quick brown fox jumps over the lazy dog 0123456789\n'
    writeFileSync(join(dir, f.path), line.repeat(Math.ceil(f.size / line.length)).slice(0, f.size), { mode: 0o644 })
  }
  if (withBigFile) {
    // Sparse: reads return zeros from the page cache without touching the disk.
    const fd = openSync(join(dir, BIG_FILE.path), 'w', 0o644)
    ftruncateSync(fd, BIG_FILE.size)
    closeSync(fd)
  }
  onCleanup(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface StaticRunning {
  spec: StaticSpec
  child: ChildProcess
  port: number
  pid: number
  /** CPU seconds used so far by the server: for nginx, the master and its worker. */
  clock: CpuClock
}

/** Starts one server on `dir`; resolves once it answers. */
export async function startStatic(spec: StaticSpec, dir: string, opts: StartOptions = {}): Promise<StaticRunning> {
  if (spec.file === 'nginx') return startNginx(spec, dir, opts.cpu)
  const running = await startServer({ id: spec.id, label: spec.label, file: spec.file }, { ...opts, env: { ...opts.env, BENCH_STATIC_DIR: dir } })
  return { spec, child: running.child, port: running.port, pid: running.pid, clock: () => processCpuSeconds(running.pid) }
}

/**
 * nginx as the native reference: one worker, in the foreground, no access log, every path it
 * writes (pid, error log, temp folders) in a folder of its own, listening on loopback only.
 * sendfile and tcp_nopush are on, as in Debian's shipped nginx.conf.
 */
async function startNginx(spec: StaticSpec, dir: string, cpu: string | undefined): Promise<StaticRunning> {
  if (NGINX === null) throw new Error('nginx is not installed')
  const port = await freePort()
  const work = mkdtempSync(join(tmpdir(), 'weft-bench-nginx-'))
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(work, sub))
  const conf = join(work, 'nginx.conf')
  const mime = existsSync('/etc/nginx/mime.types') ? 'include /etc/nginx/mime.types;' : 'types { text/plain txt; }'
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${work}/nginx.pid;
error_log ${work}/error.log warn;
events { worker_connections 4096; }
http {
  ${mime}
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${work}/client_body;
  proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi;
  scgi_temp_path ${work}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${dir};
  }
}
`,
  )
  // -e: the error log before the config is read (the default path may not be writable).
  const child = launch(NGINX, ['-p', `${work}/`, '-c', conf, '-e', `${work}/error.log`], { cpu })
  let errors = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (errors = (errors + d).slice(-4000)))
  child.stdout!.resume()
  // Workers outlive a SIGKILLed master; note them so that the cleanup at exit can end them.
  const workers = new Set<number>()
  onCleanup(() => {
    for (const pid of workers) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    rmSync(work, { recursive: true, force: true })
  })
  const deadline = performance.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${errors}${readLog(work)}`)
    const ok = await rawGet(port, STATIC_FILES[0]!.path, 1000).then(
      (r) => r.status === 200,
      () => false,
    )
    if (ok) break
    if (performance.now() > deadline) {
      await stop(child)
      throw new Error(`nginx did not answer within 10 s: ${errors}${readLog(work)}`)
    }
    await sleep(100)
  }
  const pid = child.pid!
  for (const w of childPids(pid)) workers.add(w)
  return { spec, child, port, pid, clock: () => processCpuSeconds(pid) + childPids(pid).reduce((a, c) => a + processCpuSeconds(c), 0) }
}

function readLog(work: string): string {
  try {
    return readFileSync(join(work, 'error.log'), 'utf8').slice(-2000)
  } catch {
    return ''
  }
}

/** The direct children of a process, from /proc (empty where that is missing). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number)
  } catch {
    return []
  }
}

/** Checks one file's answer (status and size); returns the whole response's size in bytes. */
export async function checkFile(port: number, file: StaticFile): Promise<number> {
  const res = await rawGet(port, file.path)
  if (res.status !== 200 || Buffer.byteLength(res.body) !== file.size) {
    throw new Error(`GET ${file.path}: ${res.status}, ${Buffer.byteLength(res.body)} bytes instead of ${file.size}`)
  }
  return res.bytes
}
