import type { Response } from '../http/response.ts'

/**
 * Adds field names (`'Origin'` or `'Origin, Accept-Encoding'`) to a response's Vary header,
 * keeping what is already there, not repeating a name (case-insensitively), and leaving
 * `Vary: *` alone since it already covers everything.
 */
export function addVary(res: Response, names: string): void {
  const current = res.headers.get('vary')
  if (current === undefined || current.trim() === '') {
    res.headers.set('vary', names)
    return
  }
  const present = current.toLowerCase().split(',').map((s) => s.trim())
  if (present.includes('*')) return
  let out = current
  for (const raw of names.split(',')) {
    const name = raw.trim()
    if (name === '' || present.includes(name.toLowerCase())) continue
    present.push(name.toLowerCase())
    out += `, ${name}`
  }
  if (out !== current) res.headers.set('vary', out)
}
