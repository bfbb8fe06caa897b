/** The servers under test and how to start, check and stop one. */
import { execFileSync, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { freePort, launch, stop, waitForLine } from './procs.ts'

export interface ServerSpec {
  /** Key used in BENCH_ONLY and the results. */
  id: string
  label: string
  file: string
}

const dir = fileURLToPath(new URL('../servers/', import.meta.url))

export const SERVERS: ServerSpec[] = [
  { id: 'weft', label: 'weft', file: 'weft.ts' },
  { id: 'node', label: 'node:http', file: 'node-http.ts' },
  { id: 'fastify', label: 'fastify', file: 'fastify.ts' },
  { id: 'hono', label: 'hono', file: 'hono.ts' },
  { id: 'express', label: 'express', file: 'express.ts' },
  { id: 'net', label: 'raw node:net', file: 'raw-net.ts' },
]

export interface RouteSpec {
  id: string
  path: string
  /** What a correct answer looks like. */
  body: string
  type: RegExp
}

export const ROUTES: RouteSpec[] = [
  { id: 'hello', path: '/', body: 'Hello World!', type: /^text\/plain/i },
  { id: 'user', path: '/users/42', body: '{"id":"42"}', type: /^application\/json/i },
]

export interface Running {
  spec: ServerSpec
  child: ChildProcess
  port: number
  pid: number
  stderr: () => string
}

export interface StartOptions {
  cpu?: string
  nofile?: number
  ipc?: boolean
  nodeFlags?: string[]
  env?: NodeJS.ProcessEnv
}

/**
 * Node flags every server runs with: the server file through tsx, and `weft` resolving to its
 * build in dist/ (the package's "import" export, what an installed weft runs), like the peers'
 * published builds. BENCH_SOURCE=1 runs weft's src/ through tsx instead (the way the tests
 * run it), to compare the two.
 */
const BASE_FLAGS = process.env.BENCH_SOURCE === '1' ? ['--conditions=source', '--import', 'tsx'] : ['--import', 'tsx']

/** Builds dist/ for the servers (unless BENCH_SOURCE=1); returns what the servers import. */
export function prepareWeft(): string {
  if (process.env.BENCH_SOURCE === '1') return "weft's src/ through tsx (BENCH_SOURCE=1)"
  // The package's own build script, so the bench builds exactly what `npm run build` does.
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: fileURLToPath(new URL('../../', import.meta.url)), stdio: 'inherit' })
  return "weft's build in dist/ (built now)"
}

export async function startServer(spec: ServerSpec, opts: StartOptions = {}): Promise<Running> {
  const port = await freePort()
  const child = launch(process.execPath, [...BASE_FLAGS, ...(opts.nodeFlags ?? []), dir + spec.file], {
    cpu: opts.cpu,
    nofile: opts.nofile,
    ipc: opts.ipc,
    env: { ...opts.env, PORT: String(port), NODE_ENV: 'production' },
  })
  let errors = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    errors = (errors + d).slice(-4000)
  })
  try {
    await waitForLine(child, /^listening /, 20_000)
  } catch (error) {
    await stop(child)
    throw new Error(`${spec.label} did not start: ${(error as Error).message}\n${errors}`)
  }
  child.stdout!.resume()
  return { spec, child, port, pid: child.pid!, stderr: () => errors }
}

/** One raw GET: the whole response as text (head and body), to check and size answers. */
export function rawGet(port: number, path: string, timeoutMs = 3000): Promise<{ status: number; headers: Record<string, string>; body: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' })
    let data = Buffer.alloc(0)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer for GET ${path} within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`))
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
    })
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    // raw-net never closes; stop once Content-Length bytes are in.
    const check = (): boolean => {
      const end = data.indexOf('\r\n\r\n')
      if (end === -1) return false
      const head = data.toString('latin1', 0, end)
      const lines = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines.slice(1)) {
        const c = line.indexOf(':')
        headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim()
      }
      const length = Number(headers['content-length'] ?? NaN)
      if (Number.isNaN(length) || data.length < end + 4 + length) return false
      clearTimeout(timer)
      socket.destroy()
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: data.toString('utf8', end + 4, end + 4 + length), bytes: end + 4 + length })
      return true
    }
    socket.on('data', check)
    socket.on('end', () => {
      if (!check()) {
        clearTimeout(timer)
        reject(new Error(`incomplete answer for GET ${path}`))
      }
    })
  })
}

/** Checks one route's answer; returns the response size in bytes, or throws. */
export async function checkRoute(port: number, route: RouteSpec): Promise<number> {
  const res = await rawGet(port, route.path)
  const body = route.body.startsWith('{') ? JSON.stringify(JSON.parse(res.body)) : res.body
  if (res.status !== 200 || body !== route.body || !route.type.test(res.headers['content-type'] ?? '')) {
    throw new Error(`GET ${route.path}: ${res.status} ${res.headers['content-type']} ${JSON.stringify(res.body)}`)
  }
  return res.bytes
}

