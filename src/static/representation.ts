import type { Stats } from 'node:fs'
import { makeEtag, httpDate } from './validators.ts'

/**
 * One sendable form of a file (the file itself, or a precompressed sibling) with every header
 * value it needs already built, so answering a request only copies strings.
 */
export interface Representation {
  /** Absolute path of the bytes to send. */
  readonly path: string
  readonly size: number
  readonly mtimeMs: number
  /** Whole seconds, as Last-Modified and date preconditions compare. */
  readonly mtimeSeconds: number
  readonly etag: string | undefined
  readonly lastModified: string | undefined
  /** The Content-Type header value (of the original file, for a compressed sibling too). */
  readonly type: string
  /** Content-Encoding, for a precompressed sibling. */
  readonly encoding: string | undefined
  /** Content-Length of the whole representation, as a string. */
  readonly length: string
  /** The bytes, when the file is small enough to keep in memory. */
  readonly data: Buffer | undefined
}

export interface ValidatorOptions {
  etag: 'strong' | 'weak' | false
  lastModified: boolean
}

export function makeRepresentation(path: string, stat: Pick<Stats, 'size' | 'mtimeMs'>, type: string, encoding: string | undefined, opts: ValidatorOptions, data: Buffer | undefined): Representation {
  const size = data === undefined ? stat.size : data.length
  return {
    path,
    size,
    mtimeMs: stat.mtimeMs,
    mtimeSeconds: Math.floor(stat.mtimeMs / 1000),
    etag: opts.etag === false ? undefined : makeEtag(size, stat.mtimeMs, opts.etag === 'weak', encoding),
    lastModified: opts.lastModified ? httpDate(stat.mtimeMs) : undefined,
    type,
    encoding,
    length: String(size),
    data,
  }
}
