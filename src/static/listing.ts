import { readdir } from 'node:fs/promises'
import type { Dotfiles } from './options.ts'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

/**
 * An HTML page listing a directory. Names come from the file system and may hold anything a
 * file name can (`<script>`, quotes, `%`), so each is HTML-escaped for display and
 * percent-encoded for its link; dotfiles are left out unless they are served.
 */
export async function renderListing(dir: string, urlPath: string, dotfiles: Dotfiles): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true })
  const items: Array<{ name: string; isDir: boolean }> = []
  for (const e of entries) {
    if (dotfiles !== 'allow' && e.name.startsWith('.')) continue
    items.push({ name: e.name, isDir: e.isDirectory() })
  }
  // Directories first, then by name (code-point order: stable whatever the locale).
  items.sort((a, b) => (a.isDir !== b.isDir ? (a.isDir ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  let shown = urlPath
  try {
    shown = decodeURIComponent(urlPath)
  } catch {
    // Already refused upstream; show it as sent.
  }
  const title = escapeHtml(`Index of ${shown}`)
  let rows = urlPath === '/' ? '' : '<li><a href="../">../</a></li>\n'
  for (const item of items) {
    const suffix = item.isDir ? '/' : ''
    rows += `<li><a href="./${escapeHtml(encodeURIComponent(item.name))}${suffix}">${escapeHtml(item.name)}${suffix}</a></li>\n`
  }
  return `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}ul{list-style:none;padding:0}li{padding:.15rem 0}a{text-decoration:none}a:hover{text-decoration:underline}</style>
</head>
<body>
<h1>${title}</h1>
<ul>
${rows}</ul>
</body>
</html>
`
}
