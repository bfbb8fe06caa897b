import { builtinModules } from 'node:module'
import * as tls from 'node:tls'
import * as zlib from 'node:zlib'

export type EventLoopBackend = 'epoll' | 'kqueue' | 'iocp' | 'event ports' | 'pollset' | 'unknown'

export interface Capabilities {
  /** process.platform: 'linux', 'darwin', 'win32', ... */
  readonly platform: NodeJS.Platform
  readonly arch: string
  /** The readiness/completion mechanism libuv uses on this platform. */
  readonly eventLoop: EventLoopBackend
  /** Node's version without the 'v', e.g. '20.20.2'. */
  readonly node: string
  readonly libuv: string
  readonly openssl: string | null
  /** `listen({ reusePort: true })` works: SO_REUSEPORT through Node (≥ 22.12) on this platform. */
  readonly reusePort: boolean
  /** node:http2 is available. */
  readonly http2: boolean
  /** zlib has zstd streams (Node ≥ 22.15 / 23.8). */
  readonly zstd: boolean
  readonly tls: {
    /** tls.DEFAULT_MIN_VERSION / DEFAULT_MAX_VERSION of this process. */
    readonly defaultMinVersion: string
    readonly defaultMaxVersion: string
    /** Whether a TLS 1.3 context can be made (OpenSSL ≥ 1.1.1, not disabled). */
    readonly tls13: boolean
    /** Versions weft can negotiate here, oldest first. */
    readonly versions: readonly string[]
  }
}

// libuv's backend follows from the platform alone (it is chosen at build time).
function eventLoopBackend(platform: NodeJS.Platform): EventLoopBackend {
  switch (platform) {
    case 'linux':
    case 'android':
      return 'epoll'
    case 'darwin':
    case 'freebsd':
    case 'openbsd':
    case 'netbsd':
      return 'kqueue'
    case 'win32':
    case 'cygwin':
      return 'iocp'
    case 'sunos':
      return 'event ports'
    case 'aix':
      return 'pollset'
    default:
      return 'unknown'
  }
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number)
  return a > major || (a === major && b >= minor)
}

/**
 * SO_REUSEPORT through `server.listen({ reusePort })`: added in Node 23.1 and backported to
 * 22.12. Older Nodes silently ignore the option, so the version is the only reliable probe.
 */
export function supportsReusePort(version = process.versions.node, platform: NodeJS.Platform = process.platform): boolean {
  const node = versionAtLeast(version, 23, 1) || (versionAtLeast(version, 22, 12) && !versionAtLeast(version, 23, 0))
  // The kernels Node documents for it; Windows and macOS have no load-balancing SO_REUSEPORT.
  const os = platform === 'linux' || platform === 'freebsd' || platform === 'sunos' || platform === 'aix'
  return node && os
}

function canMake(options: tls.SecureContextOptions): boolean {
  try {
    tls.createSecureContext(options)
    return true
  } catch {
    return false
  }
}

let cached: Capabilities | null = null

/** What this platform and the running Node offer weft. Computed once. */
export function capabilities(): Capabilities {
  if (cached !== null) return cached
  const tls13 = canMake({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' })
  const versions = (['TLSv1.2', 'TLSv1.3'] as const).filter((v) => v === 'TLSv1.2' || tls13)
  cached = Object.freeze({
    platform: process.platform,
    arch: process.arch,
    eventLoop: eventLoopBackend(process.platform),
    node: process.versions.node,
    libuv: process.versions.uv ?? 'unknown',
    openssl: process.versions.openssl ?? null,
    reusePort: supportsReusePort(),
    http2: builtinModules.includes('http2'),
    zstd: typeof (zlib as unknown as Record<string, unknown>)['createZstdCompress'] === 'function',
    tls: Object.freeze({
      defaultMinVersion: tls.DEFAULT_MIN_VERSION,
      defaultMaxVersion: tls.DEFAULT_MAX_VERSION,
      tls13,
      versions: Object.freeze(versions),
    }),
  })
  return cached
}
