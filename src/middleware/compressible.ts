/**
 * Whether a Content-Type is worth compressing: text, and the structured formats that are text
 * underneath (JSON, XML, JavaScript, SVG, …), plus WebAssembly and the uncompressed font and
 * image formats. Images, audio, video, archives and anything unknown are left alone: they are
 * compressed already, or we cannot tell, and compressing them again only burns CPU.
 */
export function compressible(contentType: string): boolean {
  const semi = contentType.indexOf(';')
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
  if (type.startsWith('text/')) return true
  if (type.endsWith('+json') || type.endsWith('+xml') || type.endsWith('+yaml')) return true
  return COMPRESSIBLE.has(type)
}

const COMPRESSIBLE = new Set([
  'application/json',
  'application/javascript',
  'application/ecmascript',
  'application/x-javascript',
  'application/xml',
  'application/x-ndjson',
  'application/x-www-form-urlencoded',
  'application/graphql',
  'application/yaml',
  'application/toml',
  'application/rtf',
  'application/x-sh',
  'application/x-tar',
  'application/wasm',
  'application/vnd.ms-fontobject',
  'application/x-font-ttf',
  'font/ttf',
  'font/otf',
  'font/collection',
  'image/bmp',
  'image/x-icon',
  'image/vnd.microsoft.icon',
  'image/svg+xml',
])
