/** Small helpers for medians and tables (plain text on the console, Markdown in the summary). */

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const mid = v.length >> 1
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

export function min(values: number[]): number {
  return Math.min(...values.filter((x) => Number.isFinite(x)))
}

export function max(values: number[]): number {
  return Math.max(...values.filter((x) => Number.isFinite(x)))
}

export const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a')
export const fmtMs = (n: number): string => (Number.isFinite(n) ? `${n < 1 ? n.toFixed(3) : n.toFixed(2)} ms` : 'n/a')
export const fmtPct = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)}%` : 'n/a')
export const fmtRatio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(3)}×` : 'n/a')
export const fmtBytes = (n: number): string =>
  !Number.isFinite(n) ? 'n/a' : Math.abs(n) >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : Math.abs(n) >= 1024 ? `${(n / 1024).toFixed(2)} KiB` : `${Math.round(n)} B`

/** A Markdown table; it also reads well as plain text. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

export const verdict = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'PASS' : 'MISS')
