import { EncodingCache } from '../middleware/accept-encoding.ts'
import type { Encoding } from './options.ts'

/** File extension of each precompressed coding. */
export const EXTENSION: Record<Encoding, string> = { br: '.br', gzip: '.gz', zstd: '.zst' }

// One negotiation cache per list of available siblings. The lists are held by the file
// entries (a handful of distinct arrays), so a WeakMap keyed by the array finds the cache
// without building a key string per request.
const caches = new WeakMap<readonly Encoding[], EncodingCache>()

/**
 * Picks which representation to send: the index of the best acceptable coding in `available`
 * (server preference order breaks ties in q), or -1 for the file itself. The rules are the
 * compression middleware's (`negotiateEncoding`), so a file and a compressed response agree.
 */
export function chooseEncoding(header: string | undefined, available: readonly Encoding[]): number {
  if (header === undefined || available.length === 0) return -1
  let cache = caches.get(available)
  if (cache === undefined) caches.set(available, (cache = new EncodingCache(available)))
  const coding = cache.choose(header).coding
  return coding === null ? -1 : available.indexOf(coding as Encoding)
}
