import type { Middleware, Next } from '../app/types.ts'
import type { Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'
import { DEFAULT_LEVELS, SUPPORTED_CODINGS, encodeAsync, encodeSync, type CodingLevels, type ContentCoding } from '../http/codings.ts'
import { EncodingCache } from './accept-encoding.ts'
import { CompressedBody } from './compress-stream.ts'
import { compressible } from './compressible.ts'
import { addVary } from './vary.ts'

export interface CompressOptions {
  /**
   * Codings to offer, in the server's order of preference (default `['br', 'zstd', 'gzip',
   * 'deflate']`). zstd is dropped where the running Node's zlib lacks it (before 22.15).
   */
  encodings?: readonly ContentCoding[]
  /** String and byte bodies smaller than this many bytes are sent as they are (default 1024). */
  threshold?: number
  /** Compression levels: `{ brotli: 4, gzip: 6, zstd: 3 }` by default (gzip's also applies to deflate). */
  level?: Partial<CodingLevels>
  /** Decides by Content-Type whether a response is worth compressing (default: text-like types). */
  filter?: (contentType: string, req: Request) => boolean
}

/**
 * Bodies up to this size are compressed on the calling thread. Measured on the development
 * machine (JSON, gzip 6 / brotli 4): a 64 KiB body costs ~0.7–0.8 ms synchronously, and every
 * size up to there is faster synchronously than through the thread pool (whose round trip
 * alone is ~0.1 ms); above it, blocking the event loop for milliseconds hurts every other
 * connection more than the hop costs one response.
 */
const SYNC_LIMIT = 64 * 1024
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i

/**
 * Compresses responses for clients that ask for it (Accept-Encoding), with brotli, zstd, gzip
 * or deflate. String and byte bodies get an exact Content-Length; streams are compressed chunk
 * by chunk and flushed whenever the producer yields, so SSE and progress output still arrive at
 * once. Left alone: HEAD, 204/206/304, bodies that already have a Content-Encoding,
 * `Cache-Control: no-transform`, types that are not compressible, and small bodies.
 */
export function compress(options: CompressOptions = {}): Middleware {
  const wanted = options.encodings ?? SUPPORTED_CODINGS
  for (const c of wanted) if (c !== 'br' && c !== 'zstd' && c !== 'gzip' && c !== 'deflate') throw new TypeError(`compress: unknown encoding ${JSON.stringify(c)}`)
  const available = wanted.filter((c) => SUPPORTED_CODINGS.includes(c))
  const threshold = options.threshold ?? 1024
  if (!(threshold >= 0)) throw new RangeError('compress: threshold must be a non-negative number of bytes')
  const levels: CodingLevels = { ...DEFAULT_LEVELS, ...options.level }
  const filter = options.filter
  const cache = new EncodingCache(available)

  return async function compressMiddleware(req: Request, next: Next): Promise<Response> {
    const res = await next()
    const status = res.status
    const body = res.body
    const h = res.headers.map
    // 304 has no body but must carry the Vary its 200 would have (RFC 9110 §15.4.5).
    if (status === 304) {
      const type = h['content-type']
      if (typeof type !== 'string' || compressible(type)) addVary(res, 'Accept-Encoding')
      return res
    }
    if (body === null || status < 200 || status === 204 || status === 206) return res
    if (h['content-encoding'] !== undefined) return res
    const cacheControl = h['cache-control']
    if (cacheControl !== undefined && NO_TRANSFORM.test(String(cacheControl))) return res
    const type = h['content-type']
    if (typeof type !== 'string' || !(filter === undefined ? compressible(type) : filter(type, req))) return res

    // From here the answer depends on Accept-Encoding, whatever we end up sending.
    addVary(res, 'Accept-Encoding')
    if (req.method === 'HEAD') return res
    const accept = req.headers['accept-encoding']
    const choice = cache.choose(Array.isArray(accept) ? accept.join(', ') : accept)
    const coding = choice.coding
    if (coding === null) return res

    if (typeof body === 'string' || body instanceof Uint8Array) {
      const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
      // A client that refuses identity gets its coding whatever the size.
      if (size < threshold && choice.identityOk) return res
      const input = typeof body === 'string' ? Buffer.from(body) : body
      const out = size <= SYNC_LIMIT ? encodeSync(coding, input, levels) : await encodeAsync(coding, input, levels)
      // Mislabelled, already compressed data grows: keep the original then.
      if (out.byteLength >= size && choice.identityOk) return res
      res.body = out
      h['content-length'] = String(out.byteLength)
    } else {
      res.body = new CompressedBody(body as AsyncIterable<Uint8Array | string>, coding, levels)
      delete h['content-length']
    }
    h['content-encoding'] = coding
    // Ranges of the uncoded body do not apply to the coded one.
    delete h['accept-ranges']
    // The coded bytes are a different representation: a strong validator would claim byte
    // equality with the uncoded one. Weak keeps If-None-Match (weak comparison) working.
    const etag = h['etag']
    if (typeof etag === 'string' && etag.startsWith('"')) h['etag'] = `W/${etag}`
    return res
  }
}
