import { HttpError } from './errors.ts'

/** 1 MiB: the default request body limit. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024

/** The body size limit was crossed; answers 413. */
export function tooLarge(limit: number): HttpError {
  return new HttpError(413, `Request body is larger than the limit of ${limit} bytes`, {
    headers: { connection: 'close' },
  })
}

/**
 * Wraps the engine's body iterator so that it never yields more than `limit` bytes in total:
 * the chunk that crosses the limit throws 413 instead, and the rest of the body stays unread.
 */
export async function* limitBody(source: AsyncIterator<Uint8Array>, limit: number): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0
  try {
    for (;;) {
      const step = await source.next()
      if (step.done) return
      total += step.value.byteLength
      if (total > limit) throw tooLarge(limit)
      yield step.value
    }
  } finally {
    // Stops the engine from buffering more; the engine closes the connection after answering.
    await source.return?.()
  }
}

/** Reads every chunk into one Buffer. */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const chunk of chunks) {
    parts.push(chunk)
    size += chunk.byteLength
  }
  return parts.length === 1 ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, size) : Buffer.concat(parts, size)
}

/** The media type of a Content-Type value, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return ''
  const semi = contentType.indexOf(';')
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
}
