import { isIP } from 'node:net'

/**
 * Which peers may speak for the client through `Forwarded` / `X-Forwarded-*`.
 * - `true`: every peer (only behind a proxy that overwrites these headers);
 * - a number: trust that many hops from the server outward;
 * - a list of addresses, CIDR ranges, or the names `loopback`, `private`, `linklocal`;
 * - a function of the address and its hop index (0 = the direct peer).
 */
export type TrustProxy = boolean | number | string | readonly string[] | ((address: string, hop: number) => boolean)
export type TrustFunction = (address: string, hop: number) => boolean

const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
}

/** Turns the `trustProxy` option into a predicate; `null` means trust no one. */
export function compileTrust(option: TrustProxy | undefined): TrustFunction | null {
  if (option === undefined || option === false) return null
  if (option === true) return () => true
  if (typeof option === 'function') return option
  if (typeof option === 'number') {
    const hops = option
    return (_address, hop) => hop < hops
  }
  const list = typeof option === 'string' ? option.split(',').map((s) => s.trim()) : option
  const ranges: Array<[Uint8Array, number]> = []
  for (const entry of list) {
    for (const item of NAMED[entry] ?? [entry]) ranges.push(parseRange(item))
  }
  return (address) => {
    const bytes = addressBytes(address)
    if (bytes === null) return false
    for (const [base, bits] of ranges) if (inRange(bytes, base, bits)) return true
    return false
  }
}

function parseRange(text: string): [Uint8Array, number] {
  const slash = text.indexOf('/')
  const addr = slash === -1 ? text : text.slice(0, slash)
  const bytes = addressBytes(addr)
  if (bytes === null) throw new TypeError(`trustProxy: not an IP address or range: ${text}`)
  const max = bytes.length * 8
  const bits = slash === -1 ? max : Number(text.slice(slash + 1))
  if (!Number.isInteger(bits) || bits < 0 || bits > max) throw new TypeError(`trustProxy: bad prefix length in ${text}`)
  return [bytes, bits]
}

function inRange(addr: Uint8Array, base: Uint8Array, bits: number): boolean {
  if (addr.length !== base.length) return false
  let i = 0
  for (; bits >= 8; bits -= 8, i++) if (addr[i] !== base[i]) return false
  if (bits === 0) return true
  const mask = (0xff << (8 - bits)) & 0xff
  return (addr[i]! & mask) === (base[i]! & mask)
}

/** 4 or 16 bytes for an address; IPv4-mapped IPv6 addresses count as IPv4. */
export function addressBytes(address: string): Uint8Array | null {
  if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) address = address.slice(7)
  const kind = isIP(address)
  if (kind === 4) return Uint8Array.from(address.split('.'), Number)
  if (kind !== 6) return null
  const zone = address.indexOf('%')
  if (zone !== -1) address = address.slice(0, zone)
  let head = address
  let tail = ''
  const gap = address.indexOf('::')
  if (gap !== -1) {
    head = address.slice(0, gap)
    tail = address.slice(gap + 2)
  }
  const groups = (s: string): number[] => {
    if (!s) return []
    const out: number[] = []
    for (const part of s.split(':')) {
      if (part.includes('.')) {
        const v4 = part.split('.').map(Number)
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      } else out.push(parseInt(part, 16))
    }
    return out
  }
  const h = groups(head)
  const t = groups(tail)
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t]
  const bytes = new Uint8Array(16)
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8
    bytes[i * 2 + 1] = g & 0xff
  })
  return bytes
}

export interface ForwardedFacts {
  ip: string
  protocol: string | undefined
  host: string | undefined
}

/**
 * Resolves the client address, protocol and host from the proxy headers, walking the chain
 * from the server outward and stopping at the first peer that is not trusted.
 */
export function resolveForwarded(
  trust: TrustFunction,
  peer: string,
  headers: Record<string, string | string[] | undefined>,
): ForwardedFacts {
  const facts: ForwardedFacts = { ip: peer, protocol: undefined, host: undefined }
  if (!trust(peer, 0)) return facts
  const forwarded = joined(headers['forwarded'])
  let chain: Array<{ for?: string; proto?: string; host?: string }>
  if (forwarded !== undefined) {
    chain = parseForwarded(forwarded)
  } else {
    const xff = joined(headers['x-forwarded-for'])
    const addrs = xff === undefined ? [] : xff.split(',').map((s) => s.trim()).filter(Boolean)
    chain = addrs.map((a) => ({ for: a }))
    const proto = lastItem(joined(headers['x-forwarded-proto']))
    const host = lastItem(joined(headers['x-forwarded-host']))
    if (chain.length > 0 || proto !== undefined || host !== undefined) {
      if (chain.length === 0) chain.push({})
      const nearest = chain[chain.length - 1]!
      if (proto !== undefined) nearest.proto = proto
      if (host !== undefined) nearest.host = host
    }
  }
  // The element nearest the server was added by the trusted peer; keep walking while each
  // claimed address is itself trusted. Every element walked was written by a trusted proxy, and
  // the farthest one describes the client's own request: its proto and host win.
  for (let i = chain.length - 1, hop = 1; i >= 0; i--, hop++) {
    const el = chain[i]!
    if (el.proto !== undefined) facts.protocol = el.proto.toLowerCase()
    if (el.host !== undefined) facts.host = el.host
    if (el.for === undefined) break
    facts.ip = stripPort(el.for)
    if (!trust(facts.ip, hop)) break
  }
  return facts
}

function joined(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v
}

function lastItem(v: string | undefined): string | undefined {
  if (v === undefined) return undefined
  const comma = v.lastIndexOf(',')
  const item = (comma === -1 ? v : v.slice(comma + 1)).trim()
  return item || undefined
}

function parseForwarded(value: string): Array<{ for?: string; proto?: string; host?: string }> {
  const out: Array<{ for?: string; proto?: string; host?: string }> = []
  for (const element of value.split(',')) {
    const el: { for?: string; proto?: string; host?: string } = {}
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=')
      if (eq === -1) continue
      const key = pair.slice(0, eq).trim().toLowerCase()
      let v = pair.slice(eq + 1).trim()
      if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1)
      if (key === 'for' || key === 'proto' || key === 'host') el[key] = v
    }
    out.push(el)
  }
  return out
}

function stripPort(addr: string): string {
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']')
    return end === -1 ? addr : addr.slice(1, end)
  }
  const colon = addr.indexOf(':')
  // One colon means IPv4 with a port; more means a bare IPv6 address.
  if (colon !== -1 && addr.indexOf(':', colon + 1) === -1) return addr.slice(0, colon)
  return addr
}
