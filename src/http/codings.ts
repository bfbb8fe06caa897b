import zlib from 'node:zlib'
import type { Transform } from 'node:stream'

/**
 * The content codings weft speaks, in both directions (compressed responses, decoded request
 * bodies): the names are the HTTP tokens of RFC 9110 §8.4.1 and RFC 8878.
 */
export type ContentCoding = 'br' | 'zstd' | 'gzip' | 'deflate'

type Factory = (options?: object) => Transform
type SyncCodec = (input: Uint8Array, options?: object) => Buffer

// zstd arrived in node:zlib with Node 23.8 / 22.15; the project's @types/node (20) does not
// declare it, so the functions are looked up by name and typed here once.
const optional = zlib as unknown as {
  createZstdCompress?: Factory
  createZstdDecompress?: Factory
  zstdCompressSync?: SyncCodec
  constants: Record<string, number | undefined>
}

/** Whether the running Node can compress and decompress zstd. */
export const HAS_ZSTD = typeof optional.createZstdCompress === 'function' && typeof optional.createZstdDecompress === 'function'

/** Every coding this Node supports, in weft's preference order (see `compress()`). */
export const SUPPORTED_CODINGS: readonly ContentCoding[] = HAS_ZSTD ? ['br', 'zstd', 'gzip', 'deflate'] : ['br', 'gzip', 'deflate']

const C = zlib.constants
// zstd's constants only exist where zstd does; the numbers are zstd's own (ZSTD_e_flush = 1,
// ZSTD_c_compressionLevel = 100), used only as fallbacks.
const ZSTD_FLUSH = optional.constants.ZSTD_e_flush ?? 1
const ZSTD_LEVEL = optional.constants.ZSTD_c_compressionLevel ?? 100

/** Compression settings per coding. */
export interface CodingLevels {
  /** Brotli quality 0–11 (default 4: about gzip's speed, a smaller result; 11 is for build steps). */
  brotli: number
  /** gzip and deflate level 1–9 (default 6, zlib's own default). */
  gzip: number
  /** zstd level 1–19 (default 3, zstd's own default). */
  zstd: number
}

export const DEFAULT_LEVELS: CodingLevels = { brotli: 4, gzip: 6, zstd: 3 }

/** The options object for one coding; `size` is the whole input's when known. */
function encoderOptions(coding: ContentCoding, levels: CodingLevels, size?: number): object {
  switch (coding) {
    case 'br': {
      const params: Record<number, number> = { [C.BROTLI_PARAM_QUALITY]: levels.brotli, [C.BROTLI_PARAM_MODE]: C.BROTLI_MODE_TEXT }
      // Telling brotli the size lets it pick a smaller window for small bodies.
      if (size !== undefined) params[C.BROTLI_PARAM_SIZE_HINT] = size
      return { params }
    }
    case 'zstd': {
      const params = { [ZSTD_LEVEL]: levels.zstd }
      return { params }
    }
    default:
      return { level: levels.gzip }
  }
}

/** A streaming compressor; `flushKind(coding)` is the flush that keeps its dictionary. */
export function createEncoder(coding: ContentCoding, levels: CodingLevels): Transform {
  return compressor(coding, encoderOptions(coding, levels))
}

/**
 * The flush that makes everything written so far decodable without ending the stream or
 * dropping the dictionary (a full flush would reset it and cost ratio).
 */
export function flushKind(coding: ContentCoding): number {
  return coding === 'br' ? C.BROTLI_OPERATION_FLUSH : coding === 'zstd' ? ZSTD_FLUSH : C.Z_SYNC_FLUSH
}

function compressor(coding: ContentCoding, options: object): Transform {
  switch (coding) {
    case 'br':
      return zlib.createBrotliCompress(options)
    case 'zstd':
      return optional.createZstdCompress!(options)
    case 'gzip':
      return zlib.createGzip(options)
    case 'deflate':
      return zlib.createDeflate(options)
  }
}

/** Compresses a whole body on the calling thread. */
export function encodeSync(coding: ContentCoding, input: Uint8Array, levels: CodingLevels): Buffer {
  const options = encoderOptions(coding, levels, input.byteLength)
  switch (coding) {
    case 'br':
      return zlib.brotliCompressSync(input, options)
    case 'zstd':
      return optional.zstdCompressSync!(input, options)
    case 'gzip':
      return zlib.gzipSync(input, options)
    case 'deflate':
      return zlib.deflateSync(input, options)
  }
}

/** Compresses a whole body on libuv's thread pool. */
export function encodeAsync(coding: ContentCoding, input: Uint8Array, levels: CodingLevels): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const z = compressor(coding, encoderOptions(coding, levels, input.byteLength))
    const parts: Buffer[] = []
    let size = 0
    z.on('data', (b: Buffer) => {
      parts.push(b)
      size += b.length
    })
    z.once('error', reject)
    z.once('end', () => resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size)))
    z.end(input)
  })
}

/** A streaming decompressor for a request body. Truncated input is an error, not a short body. */
export function createDecoder(coding: ContentCoding): Transform {
  switch (coding) {
    case 'br':
      return zlib.createBrotliDecompress(DECODER_BUFFERS)
    case 'zstd':
      return optional.createZstdDecompress!(DECODER_BUFFERS)
    case 'gzip':
      return zlib.createGunzip(DECODER_BUFFERS)
    case 'deflate':
      return zlib.createInflate(DECODER_BUFFERS)
  }
}

// Explicit stream buffers: Node 22 raised the default highWaterMark from 16 KiB to 64 KiB, and
// how far a decoder reads ahead of its reader (a bomb's compressed bytes) should not depend on
// the Node version.
const DECODER_BUFFERS = { writableHighWaterMark: 16 * 1024, readableHighWaterMark: 16 * 1024 } as zlib.ZlibOptions

/**
 * The coding named by a request's Content-Encoding, `null` for none (absent or `identity`), or
 * `undefined` for one weft cannot decode. Only a single coding is accepted: stacked codings
 * (`gzip, br`) are legal but nobody sends them, and refusing them keeps nested bombs out.
 */
export function requestCoding(value: string): ContentCoding | null | undefined {
  const v = value.trim().toLowerCase()
  switch (v) {
    case '':
    case 'identity':
      return null
    case 'gzip':
    case 'x-gzip':
      return 'gzip'
    case 'br':
    case 'deflate':
      return v
    case 'zstd':
      return HAS_ZSTD ? 'zstd' : undefined
    default:
      return undefined
  }
}
