import { parseArgs } from 'node:util'
import { parseMaxAge } from '../static/options.ts'

/** What `weft serve` was asked to do, checked and with defaults applied. */
export interface ServeConfig {
  dir: string
  port: number
  host: string
  spa: boolean
  listing: boolean
  cors: boolean
  compress: boolean
  /** Seconds, for Cache-Control: max-age. */
  maxAge: number
  /** HTTPS (with HTTP/2 and HTTP/1.1 on the one port): certificate and key files; null for HTTP. */
  tls: { cert: string; key: string } | null
}

/** One invocation of the `weft` command, as parsed from argv. */
export type Command = { kind: 'help'; topic: 'main' | 'serve' } | { kind: 'version' } | { kind: 'serve'; config: ServeConfig }

/** A mistake in the command line: reported with the usage text and exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly topic: 'main' | 'serve',
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

export const MAIN_USAGE = `Usage: weft <command> [options]

Commands:
  serve [dir]      serve the files in dir (default: the current directory) over HTTP

Options:
  -h, --help       show this help (weft serve --help for the command's options)
  -v, --version    print weft's version
`

export const SERVE_USAGE = `Usage: weft serve [dir] [options]

Serves the files in dir (default: the current directory) over HTTP/1.1 (or HTTPS with
HTTP/2 and HTTP/1.1, given --tls-cert and --tls-key), with ETags,
conditional requests and ranges. Dotfiles are refused (403).

Options:
  -p, --port <n>       port to listen on (default: $PORT, else 8080; 0 picks a free one)
      --host <addr>    address to listen on (default 127.0.0.1; 0.0.0.0 or :: for every interface)
      --spa            serve index.html for paths that match no file (single-page apps)
      --listing        list the files of directories that have no index.html
      --cors           let pages from any origin read the files (Access-Control-Allow-Origin: *)
      --no-compress    send files as they are (default: br, zstd or gzip for text-like types)
      --max-age <t>    Cache-Control max-age: seconds, or 30s, 10m, 1h, 1d, 1w, 1y (default 0)
      --tls-cert <f>   serve HTTPS, HTTP/2 and HTTP/1.1 on one port, with this certificate
                       chain (PEM); needs --tls-key
      --tls-key <f>    the certificate's private key (PEM)
  -h, --help           show this help
  -v, --version        print weft's version
`

// `--no-compress` is declared as an option of its own: parseArgs' allowNegative only exists
// from Node 22.4, and weft supports Node 20.
const SERVE_OPTIONS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  spa: { type: 'boolean' },
  listing: { type: 'boolean' },
  cors: { type: 'boolean' },
  'no-compress': { type: 'boolean' },
  'max-age': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

/**
 * Parses `weft`'s arguments (without the node and script paths). Throws UsageError for
 * anything it cannot make sense of, so that nothing starts half-configured.
 */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Command {
  const [first, ...rest] = argv
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') return { kind: 'help', topic: 'main' }
  if (first === '-v' || first === '--version') return { kind: 'version' }
  if (first !== 'serve') {
    throw new UsageError(first.startsWith('-') ? `unknown option ${first}` : `unknown command "${first}"`, 'main')
  }
  return parseServe(rest, env)
}

function parseServe(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: SERVE_OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    // parseArgs' messages name the option and explain the problem; the hint about `--` that
    // some of them carry does not apply to a file server, so keep the first sentence.
    throw new UsageError((error as Error).message.split('. ')[0]!.replace(/\.$/, ''), 'serve')
  }
  const { values, positionals } = parsed
  if (values.help === true) return { kind: 'help', topic: 'serve' }
  if (values.version === true) return { kind: 'version' }
  if (positionals.length > 1) throw new UsageError(`expected at most one directory, got ${positionals.length}: ${positionals.join(' ')}`, 'serve')

  let port: number
  if (values.port !== undefined) port = parsePort(values.port, '--port')
  else if (env.PORT !== undefined && env.PORT !== '') port = parsePort(env.PORT, 'PORT')
  else port = 8080

  const host = values.host ?? '127.0.0.1'
  if (host === '' || /[\s/]/.test(host)) throw new UsageError(`--host: not an address: ${JSON.stringify(host)}`, 'serve')

  let maxAge = 0
  if (values['max-age'] !== undefined) {
    try {
      maxAge = parseMaxAge(values['max-age'])
    } catch {
      throw new UsageError(`--max-age: expected seconds or a duration such as 10m, 1h, 1d; got ${JSON.stringify(values['max-age'])}`, 'serve')
    }
  }

  const cert = values['tls-cert']
  const key = values['tls-key']
  if ((cert === undefined) !== (key === undefined)) throw new UsageError(cert === undefined ? '--tls-key needs --tls-cert' : '--tls-cert needs --tls-key', 'serve')
  if (cert === '' || key === '') throw new UsageError('--tls-cert and --tls-key: expected file paths', 'serve')

  return {
    kind: 'serve',
    config: {
      dir: positionals[0] ?? '.',
      port,
      host,
      spa: values.spa === true,
      listing: values.listing === true,
      cors: values.cors === true,
      compress: values['no-compress'] !== true,
      maxAge,
      tls: cert === undefined || key === undefined ? null : { cert, key },
    },
  }
}

function parsePort(raw: string, name: string): number {
  // Digits only: Number() would also take '0x1f', '1e3' and ' 80 '.
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw new UsageError(`${name}: expected a port number from 0 to 65535, got ${JSON.stringify(raw)}`, 'serve')
  return Number(raw)
}
