import type { PatternPart } from './pattern.ts'

interface ParamEdge<T> {
  /** Constraint source ('' for none): edges with the same constraint share a subtree. */
  key: string
  constraint: RegExp | null
  node: RadixNode<T>
}

/**
 * One node of the radix tree: a run of static characters, then children. Static children are
 * indexed by their first character code; parameter edges are tried after them (constrained
 * ones first) and the wildcard last, which gives static > param > wildcard precedence with
 * backtracking when a deeper static match fails.
 */
class RadixNode<T> {
  prefix: string
  staticChildren: Map<number, RadixNode<T>> | null = null
  params: ParamEdge<T>[] = []
  wildcard: T | null = null
  value: T | null = null

  constructor(prefix: string) {
    this.prefix = prefix
  }
}

export class RadixTree<T> {
  private readonly root = new RadixNode<T>('')

  /** Returns the value stored for this exact pattern, creating it with `create` when absent. */
  upsert(parts: PatternPart[], create: () => T): T {
    let node = this.root
    for (const part of parts) {
      if (part.kind === 'static') node = insertStatic(node, part.text)
      else if (part.kind === 'param') node = paramChild(node, part.source, part.constraint)
      else return (node.wildcard ??= create())
    }
    return (node.value ??= create())
  }

  /** Finds the value for a path; parameter values (still encoded) are pushed onto `params`. */
  lookup(path: string, params: string[]): T | null {
    return match(this.root, path, 0, params)
  }
}

function insertStatic<T>(node: RadixNode<T>, text: string): RadixNode<T> {
  let pos = 0
  while (pos < text.length) {
    const code = text.charCodeAt(pos)
    const children = (node.staticChildren ??= new Map())
    const child = children.get(code)
    if (child === undefined) {
      const leaf = new RadixNode<T>(text.slice(pos))
      children.set(code, leaf)
      return leaf
    }
    const prefix = child.prefix
    let common = 0
    const max = Math.min(prefix.length, text.length - pos)
    while (common < max && prefix.charCodeAt(common) === text.charCodeAt(pos + common)) common++
    if (common < prefix.length) {
      // Split the child: the shared part becomes a new node above it.
      const upper = new RadixNode<T>(prefix.slice(0, common))
      child.prefix = prefix.slice(common)
      upper.staticChildren = new Map([[child.prefix.charCodeAt(0), child]])
      children.set(code, upper)
      node = upper
    } else {
      node = child
    }
    pos += common
  }
  return node
}

function paramChild<T>(node: RadixNode<T>, key: string, constraint: RegExp | null): RadixNode<T> {
  for (const edge of node.params) if (edge.key === key) return edge.node
  const edge: ParamEdge<T> = { key, constraint, node: new RadixNode<T>('') }
  node.params.push(edge)
  // Constrained edges are more specific, so they are tried before a bare `:param`.
  node.params.sort((a, b) => (a.constraint === null ? 1 : 0) - (b.constraint === null ? 1 : 0))
  return edge.node
}

function match<T>(node: RadixNode<T>, path: string, pos: number, params: string[]): T | null {
  const len = path.length
  if (pos === len) {
    if (node.value !== null) return node.value
    if (node.wildcard !== null) {
      params.push('')
      return node.wildcard
    }
    return null
  }
  const children = node.staticChildren
  if (children !== null) {
    const child = children.get(path.charCodeAt(pos))
    if (child !== undefined && path.startsWith(child.prefix, pos)) {
      const found = match(child, path, pos + child.prefix.length, params)
      if (found !== null) return found
    }
  }
  const edges = node.params
  if (edges.length > 0) {
    let end = path.indexOf('/', pos)
    if (end === -1) end = len
    if (end > pos) {
      const value = path.slice(pos, end)
      for (let i = 0; i < edges.length; i++) {
        const edge = edges[i]!
        if (edge.constraint !== null && !edge.constraint.test(safeDecode(value))) continue
        params.push(value)
        const found = match(edge.node, path, end, params)
        if (found !== null) return found
        params.pop()
      }
    }
  }
  if (node.wildcard !== null) {
    params.push(path.slice(pos))
    return node.wildcard
  }
  return null
}

// Constraints test the decoded value; a malformed escape fails the constraint here and is
// reported as 400 only if a route ends up matching.
function safeDecode(value: string): string {
  if (value.indexOf('%') === -1) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
