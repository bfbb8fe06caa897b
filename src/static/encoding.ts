import type { Encoding } from './options.ts'

/** File extension of each precompressed coding. */
export const EXTENSION: Record<Encoding, string> = { br: '.br', gzip: '.gz', zstd: '.zst' }

/** Parsed Accept-Encoding: coding → q. Clients send the same few strings, so they are memoized. */
const parsed = new Map<string, Map<string, number>>()
const MEMO_LIMIT = 256

export function acceptEncoding(header: string): Map<string, number> {
  let prefs = parsed.get(header)
  if (prefs !== undefined) return prefs
  prefs = new Map()
  for (const member of header.split(',')) {
    const semi = member.indexOf(';')
    const coding = (semi === -1 ? member : member.slice(0, semi)).trim().toLowerCase()
    if (coding === '') continue
    let q = 1
    if (semi !== -1) {
      const m = /(?:^|;)\s*q\s*=\s*([0-9.]+)\s*(?:;|$)/i.exec(member.slice(semi))
      if (m !== null) q = Math.min(1, Number(m[1]) || 0)
    }
    // `x-gzip` is gzip (RFC 9110 §8.4.1.3).
    prefs.set(coding === 'x-gzip' ? 'gzip' : coding, q)
  }
  // Unbounded distinct headers would otherwise grow this forever.
  if (parsed.size >= MEMO_LIMIT) parsed.clear()
  parsed.set(header, prefs)
  return prefs
}

/**
 * Picks which representation to send: the index of the best acceptable coding in `available`
 * (server preference order breaks ties in q), or -1 for the file itself. A coding is acceptable
 * when named with q > 0 or covered by `*`; identity is chosen over them only when the client
 * says it prefers it (a higher q given explicitly).
 */
export function chooseEncoding(header: string | undefined, available: readonly Encoding[]): number {
  if (header === undefined || available.length === 0) return -1
  const prefs = acceptEncoding(header)
  const star = prefs.get('*')
  let best = -1
  let bestQ = 0
  for (let i = 0; i < available.length; i++) {
    const q = prefs.get(available[i]!) ?? star ?? 0
    if (q > bestQ) {
      best = i
      bestQ = q
    }
  }
  const identity = prefs.get('identity')
  if (best !== -1 && identity !== undefined && identity > bestQ) return -1
  return best
}
