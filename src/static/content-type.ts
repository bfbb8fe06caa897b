import { createRequire } from 'node:module'
import { extname } from 'node:path'

type MimeTable = typeof import('mime-types')

// mime-db's table takes about 0.6 MB of heap: it is loaded on the first file served, not by
// every app that imports weft (mime-types is CommonJS, so require() loads it synchronously).
let table: MimeTable | null = null
function mime(): MimeTable {
  return (table ??= createRequire(import.meta.url)('mime-types') as MimeTable)
}

const OCTETS = 'application/octet-stream'
// Keyed by extension; only extensions of files that exist reach here, so it stays small.
const byExtension = new Map<string, string>()

/**
 * Content-Type for a file name, from the mime-types table (mime-db), with `charset=utf-8` for
 * text types and the others mime-db marks UTF-8 (JSON, JavaScript). Unknown: octet-stream.
 */
export function contentType(name: string): string {
  const ext = extname(name).toLowerCase()
  let type = byExtension.get(ext)
  if (type === undefined) {
    const found = ext === '' ? false : mime().lookup(ext)
    if (found === false) type = OCTETS
    else type = found.startsWith('text/') || mime().charset(found) === 'UTF-8' ? `${found}; charset=utf-8` : found
    if (byExtension.size < 1024) byExtension.set(ext, type)
  }
  return type
}
