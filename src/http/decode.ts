import type { Transform } from 'node:stream'
import { createDecoder, requestCoding, SUPPORTED_CODINGS, type ContentCoding } from './codings.ts'
import { tooLarge } from './body.ts'
import { HttpError } from './errors.ts'

/** The coding of a request body, or a 415 for one weft cannot decode. */
export function bodyCoding(value: string | string[]): ContentCoding | null {
  const coding = requestCoding(Array.isArray(value) ? value.join(',') : value)
  if (coding === undefined) {
    // RFC 9110 §15.5.16: a 415 for a coding says which codings would have been accepted.
    throw new HttpError(415, `Unsupported Content-Encoding: ${JSON.stringify(String(value)).slice(0, 80)} (accepted: ${SUPPORTED_CODINGS.join(', ')})`, {
      headers: { 'accept-encoding': SUPPORTED_CODINGS.join(', '), connection: 'close' },
    })
  }
  return coding
}

/**
 * Decodes a compressed request body as it arrives. `limit` bounds both the compressed bytes
 * and, what matters for a decompression bomb, the decoded ones: the decompressor is pulled, not
 * pushed (its output waits in a 16 KiB buffer until read), so it stops within one buffer of
 * the limit instead of inflating a gigabyte first. Corrupt or truncated data answers 400.
 */
export async function* decodeBody(source: AsyncIterator<Uint8Array>, coding: ContentCoding, limit: number): AsyncGenerator<Uint8Array, void, undefined> {
  const z = createDecoder(coding)
  let stopped = false
  let feeding = false
  let sourceError: unknown = null

  // Feeds the raw body into the decompressor, waiting for it to drain, so neither side runs
  // ahead of the reader below.
  const feed = async (): Promise<void> => {
    let raw = 0
    try {
      for (;;) {
        feeding = true
        const step = await source.next()
        feeding = false
        if (stopped) return
        if (step.done) {
          z.end()
          return
        }
        raw += step.value.byteLength
        if (raw > limit) throw tooLarge(limit)
        if (!z.write(step.value)) await drained(z)
        if (stopped) return
      }
    } catch (error) {
      feeding = false
      sourceError = error
      z.destroy(error instanceof Error ? error : new Error(String(error)))
    }
  }
  void feed()

  let total = 0
  try {
    for await (const piece of z as AsyncIterable<Buffer>) {
      total += piece.byteLength
      if (total > limit) throw tooLarge(limit)
      yield piece
    }
  } catch (error) {
    if (sourceError !== null) throw sourceError
    if (error instanceof HttpError) throw error
    throw new HttpError(400, `Invalid ${coding} request body: ${(error as Error).message}`, { headers: { connection: 'close' } })
  } finally {
    stopped = true
    z.destroy()
    // A source.next() still pending would hold a return() behind it (the client has stopped
    // sending): let the engine's close settle it rather than wait here.
    if (!feeding) await source.return?.()
    else void Promise.resolve(source.return?.()).catch(() => {})
  }
}

function drained(z: Transform): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      z.off('drain', done)
      z.off('close', done)
      resolve()
    }
    z.on('drain', done)
    z.on('close', done)
  })
}
