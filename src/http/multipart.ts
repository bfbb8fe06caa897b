import { createWriteStream } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { mediaType } from './body.ts'
import { HttpError } from './errors.ts'
import { MultipartParser, type MultipartSink } from './multipart-parser.ts'
import { boundaryOf, parsePartHeaders, type PartInfo } from './multipart-headers.ts'

/** Limits for `req.formData()` and `req.parts()`; the request body limit bounds the whole body. */
export interface MultipartLimits {
  /** Most parts (fields and files) in one body (default 1000). */
  parts?: number
  /** Largest field (a part without a filename), in bytes (default 1 MiB). */
  fieldSize?: number
  /** Largest file, in bytes (default: no limit of its own; the body limit still applies). */
  fileSize?: number
  /** Largest header block of one part, in bytes (default 16 KiB). */
  headerSize?: number
}

export const DEFAULT_MULTIPART_LIMITS: Required<MultipartLimits> = {
  parts: 1000,
  fieldSize: 1024 * 1024,
  fileSize: Infinity,
  headerSize: 16 * 1024,
}

/** One part of a multipart/form-data body. Its body can be read once. */
export interface Part {
  readonly name: string
  /** The client's file name when the part is a file (untrusted: never use it as a path). */
  readonly filename: string | undefined
  /** Its Content-Type (`text/plain` for fields and `application/octet-stream` for files by default). */
  readonly type: string
  /** Its headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>
  /** The part's bytes as they arrive. */
  readonly body: AsyncIterable<Uint8Array>
  bytes(): Promise<Uint8Array>
  text(): Promise<string>
  /** Streams the part into a file (removed again if the upload fails); resolves to its size. */
  saveTo(path: string): Promise<number>
}

/** The narrow view of a Request the readers need (keeps this file free of request.ts). */
export interface BodySource {
  header(name: string): string | undefined
  chunks(): AsyncIterable<Uint8Array>
  text(): Promise<string>
}

type Event = PartInfo | Uint8Array | typeof PART_END
const PART_END = Symbol('part end')

/**
 * Pulls raw chunks only when the parts' reader wants more, so a slow disk holds back the
 * upload. The parser turns one raw chunk into a short queue of events, drained before the
 * next chunk is read.
 */
class Reader implements MultipartSink {
  private readonly parser: MultipartParser
  private readonly source: AsyncIterator<Uint8Array>
  private queue: Event[] = []
  private at = 0
  private finished = false
  busy = false

  constructor(boundary: string, chunks: AsyncIterable<Uint8Array>, headerSize: number) {
    this.parser = new MultipartParser(boundary, this, headerSize)
    this.source = chunks[Symbol.asyncIterator]()
  }

  partBegin(block: Buffer): void {
    this.queue.push(parsePartHeaders(block))
  }
  partData(bytes: Uint8Array): void {
    this.queue.push(bytes)
  }
  partEnd(): void {
    this.queue.push(PART_END)
  }

  /** The next event, or null once the body has ended (after its closing delimiter). */
  async pull(): Promise<Event | null> {
    while (this.at >= this.queue.length) {
      if (this.finished) return null
      this.queue = []
      this.at = 0
      const step = await this.source.next()
      if (step.done) {
        this.finished = true
        this.parser.end()
      } else {
        this.parser.write(step.value)
      }
    }
    return this.queue[this.at++]!
  }

  async close(): Promise<void> {
    this.finished = true
    this.queue = []
    await this.source.return?.()
  }
}

class StreamedPart implements Part {
  readonly name: string
  readonly filename: string | undefined
  readonly type: string
  readonly headers: Readonly<Record<string, string>>
  /** Bytes read so far. */
  size = 0
  ended = false
  private used = false

  constructor(
    info: PartInfo,
    private readonly reader: Reader,
    private readonly max: number,
  ) {
    this.name = info.name
    this.filename = info.filename
    this.type = info.type
    this.headers = info.headers
  }

  get body(): AsyncIterable<Uint8Array> {
    if (this.used) throw new TypeError(`the body of part "${this.name}" has already been read`)
    this.used = true
    return { [Symbol.asyncIterator]: () => ({ next: () => this.read() }) }
  }

  /** The next slice of this part's body. */
  async read(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.ended) return { done: true, value: undefined }
    const event = await this.reader.pull()
    if (event === PART_END || event === null) {
      this.ended = true
      return { done: true, value: undefined }
    }
    if (!(event instanceof Uint8Array)) throw new Error('multipart: part data expected')
    this.size += event.byteLength
    if (this.size > this.max) {
      const what = this.filename === undefined ? 'field' : 'file'
      throw new HttpError(413, `Multipart ${what} "${this.name}" is larger than the limit of ${this.max} bytes`, { headers: { connection: 'close' } })
    }
    return { done: false, value: event }
  }

  /** Reads and drops what is left of the body (the next part comes after it). */
  async skip(): Promise<void> {
    this.used = true
    while (!(await this.read()).done);
  }

  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = []
    for await (const chunk of this.body) parts.push(chunk)
    return Buffer.concat(parts)
  }

  async text(): Promise<string> {
    return Buffer.from(await this.bytes()).toString('utf8')
  }

  async saveTo(path: string): Promise<number> {
    try {
      await pipeline(this.body, createWriteStream(path))
    } catch (error) {
      await unlink(path).catch(() => {})
      throw error
    }
    return this.size
  }
}

/** Iterates the parts; each call to next() first skips whatever the last part left unread. */
class PartsIterator implements AsyncIterator<Part> {
  private current: StreamedPart | null = null
  private count = 0
  private done = false

  constructor(
    private readonly reader: Reader,
    private readonly limits: Required<MultipartLimits>,
  ) {}

  async next(): Promise<IteratorResult<Part, undefined>> {
    if (this.done) return { done: true, value: undefined }
    const reader = this.reader
    if (reader.busy) throw new TypeError('parts(): wait for the previous next() before calling it again')
    reader.busy = true
    try {
      if (this.current !== null && !this.current.ended) await this.current.skip()
      this.current = null
      for (;;) {
        const event = await reader.pull()
        if (event === null) {
          this.done = true
          return { done: true, value: undefined }
        }
        if (event instanceof Uint8Array || event === PART_END) continue
        if (++this.count > this.limits.parts) {
          throw new HttpError(413, `Multipart body has more than the limit of ${this.limits.parts} parts`, { headers: { connection: 'close' } })
        }
        const max = event.filename === undefined ? this.limits.fieldSize : this.limits.fileSize
        this.current = new StreamedPart(event, reader, max)
        return { done: false, value: this.current }
      }
    } catch (error) {
      this.done = true
      void reader.close().catch(() => {})
      throw error
    } finally {
      reader.busy = false
    }
  }

  async return(): Promise<IteratorResult<Part, undefined>> {
    if (!this.done) {
      this.done = true
      await this.reader.close()
    }
    return { done: true, value: undefined }
  }
}

function limitsOf(limits: MultipartLimits | undefined): Required<MultipartLimits> {
  if (limits === undefined) return DEFAULT_MULTIPART_LIMITS
  return { ...DEFAULT_MULTIPART_LIMITS, ...limits }
}

/** The parts of a multipart/form-data request, streamed (see `Request.parts()`). */
export function readParts(req: BodySource, limits?: MultipartLimits): AsyncIterable<Part> {
  const contentType = req.header('content-type') ?? ''
  if (mediaType(contentType) !== 'multipart/form-data') throw new HttpError(415, 'Expected a multipart/form-data body')
  const boundary = boundaryOf(contentType)
  const all = limitsOf(limits)
  const reader = new Reader(boundary, req.chunks(), all.headerSize)
  let taken = false
  return {
    [Symbol.asyncIterator]: () => {
      if (taken) throw new TypeError('parts() can be iterated once')
      taken = true
      return new PartsIterator(reader, all)
    },
  }
}

/** A multipart or urlencoded body as a web FormData (see `Request.formData()`). */
export async function readFormData(req: BodySource, limits?: MultipartLimits): Promise<FormData> {
  const form = new FormData()
  const type = mediaType(req.header('content-type'))
  if (type === 'application/x-www-form-urlencoded') {
    for (const [name, value] of new URLSearchParams(await req.text())) form.append(name, value)
    return form
  }
  if (type !== 'multipart/form-data') throw new HttpError(415, 'Expected a multipart/form-data or application/x-www-form-urlencoded body')
  for await (const part of readParts(req, limits)) {
    const bytes = await part.bytes()
    if (part.filename === undefined) form.append(part.name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
    else form.append(part.name, new File([bytes], part.filename, { type: part.type }))
  }
  return form
}
