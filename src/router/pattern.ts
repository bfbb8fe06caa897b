/** A route path split into the pieces the tree stores. */
export type PatternPart =
  | { kind: 'static'; text: string }
  | { kind: 'param'; name: string; constraint: RegExp | null; source: string }
  | { kind: 'wildcard'; name: string }

const NAME = /^[A-Za-z_$][\w$]*$/

/**
 * Parses `/users/:id(\\d+)/files/*path`. A parameter spans one whole segment; a wildcard must
 * be the last segment and matches the rest of the path (slashes included, possibly empty).
 */
export function parsePattern(path: string): PatternPart[] {
  if (!path.startsWith('/')) throw new TypeError(`route path must start with "/": ${path}`)
  const parts: PatternPart[] = []
  let staticText = ''
  const segments = path.split('/')
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!
    staticText += '/'
    if (seg.startsWith(':')) {
      const open = seg.indexOf('(')
      const name = open === -1 ? seg.slice(1) : seg.slice(1, open)
      let constraint: RegExp | null = null
      let source = ''
      if (open !== -1) {
        if (!seg.endsWith(')')) throw new TypeError(`unclosed constraint in route ${path}`)
        source = seg.slice(open + 1, -1)
        constraint = new RegExp(`^(?:${source})$`)
      }
      if (!NAME.test(name)) throw new TypeError(`invalid parameter name "${name}" in route ${path}`)
      parts.push({ kind: 'static', text: staticText })
      staticText = ''
      parts.push({ kind: 'param', name, constraint, source })
    } else if (seg.startsWith('*')) {
      if (i !== segments.length - 1) throw new TypeError(`a wildcard must end the route: ${path}`)
      const name = seg.length === 1 ? '*' : seg.slice(1)
      if (name !== '*' && !NAME.test(name)) throw new TypeError(`invalid wildcard name "${name}" in route ${path}`)
      parts.push({ kind: 'static', text: staticText })
      staticText = ''
      parts.push({ kind: 'wildcard', name })
    } else {
      // Routes are matched against the encoded path, so encode what the author wrote plainly.
      staticText += encodeSegment(seg)
    }
  }
  if (staticText) parts.push({ kind: 'static', text: staticText })
  return parts.filter((p) => p.kind !== 'static' || p.text !== '')
}

function encodeSegment(seg: string): string {
  return /^[\x21-\x7e]*$/.test(seg) ? seg : encodeURI(seg)
}

/** The parameter names of a pattern, in path order. */
export function paramNames(parts: PatternPart[]): string[] {
  const names: string[] = []
  for (const p of parts) if (p.kind !== 'static') names.push(p.name)
  return names
}
