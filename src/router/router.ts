import { HttpError } from '../http/errors.ts'
import { paramNames, parsePattern } from './pattern.ts'
import { RadixTree } from './tree.ts'

/** The handlers registered for one path pattern, by method. */
export class RouteSlot<T> {
  readonly pattern: string
  readonly methods: Record<string, { value: T; names: string[]; build: ParamsBuilder }> = Object.create(null)
  /** The Allow header for this path, kept current as methods are added. */
  allow = ''

  constructor(pattern: string) {
    this.pattern = pattern
  }
}

export type RouteMatch<T> =
  /** A handler for this method (HEAD may be answered by GET: `head` tells). */
  | { kind: 'found'; value: T; params: Record<string, string>; head: boolean; slot: RouteSlot<T> }
  /** The path exists but not for this method; OPTIONS lands here too. */
  | { kind: 'method'; allow: string; slot: RouteSlot<T> }
  | { kind: 'none' }

const NONE = { kind: 'none' } as const
const NO_PARAMS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>)

/**
 * Maps (method, path) to a value. Purely static paths are looked up in a Map first; the radix
 * tree handles parameters and wildcards. `ALL` registers a handler for every method.
 */
export class Router<T> {
  private readonly tree = new RadixTree<RouteSlot<T>>()
  private readonly staticPaths = new Map<string, RouteSlot<T>>()

  add(method: string, pattern: string, value: T): void {
    method = method.toUpperCase()
    const parts = parsePattern(pattern)
    const create = (): RouteSlot<T> => new RouteSlot<T>(pattern)
    const slot =
      parts.length <= 1 && (parts.length === 0 || parts[0]!.kind === 'static')
        ? getOrCreate(this.staticPaths, parts.length === 0 ? '/' : (parts[0] as { text: string }).text, create)
        : this.tree.upsert(parts, create)
    if (slot.methods[method] !== undefined) throw new Error(`route already defined: ${method} ${pattern}`)
    const names = paramNames(parts)
    slot.methods[method] = { value, names, build: paramsBuilder(names) }
    slot.allow = allowHeader(slot)
  }

  /** Resolves a request; throws a 400 HttpError for a parameter with a malformed escape. */
  find(method: string, path: string): RouteMatch<T> {
    let slot = this.staticPaths.get(path)
    let values: string[] | null = null
    if (slot === undefined) {
      values = []
      const found = this.tree.lookup(path, values)
      if (found === null) return NONE
      slot = found
    }
    let entry = slot.methods[method]
    let head = false
    if (entry === undefined) {
      if (method === 'HEAD' && slot.methods.GET !== undefined) {
        entry = slot.methods.GET
        head = true
      } else if (method !== 'OPTIONS' && slot.methods.ALL !== undefined) {
        entry = slot.methods.ALL
      } else {
        return { kind: 'method', allow: slot.allow, slot }
      }
    }
    return { kind: 'found', value: entry.value, params: values === null ? NO_PARAMS : entry.build(decodeValues(entry.names, values)), head, slot }
  }
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let v = map.get(key)
  if (v === undefined) map.set(key, (v = create()))
  return v
}

function allowHeader<T>(slot: RouteSlot<T>): string {
  const methods = new Set(Object.keys(slot.methods))
  if (methods.has('ALL')) return 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'
  if (methods.has('GET')) methods.add('HEAD')
  methods.add('OPTIONS')
  return [...methods].sort().join(', ')
}

type ParamsBuilder = (values: string[]) => Record<string, string>

/**
 * A function that builds one route's params object as a literal with fixed keys, so every
 * request of that route gets the same hidden class (a loop of `params[name] = value` would
 * build each object key by key). Names were validated as identifiers (or `*`) by the pattern
 * parser, and are embedded as JSON strings.
 */
function paramsBuilder(names: string[]): ParamsBuilder {
  if (names.length === 0) return () => NO_PARAMS
  const fields = names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ')
  return new Function('v', `return { ${fields} }`) as ParamsBuilder
}

/** Percent-decodes the values in place; a malformed escape is a 400. */
function decodeValues(names: string[], values: string[]): string[] {
  for (let i = 0; i < values.length; i++) {
    const raw = values[i]!
    if (raw.indexOf('%') === -1) continue
    try {
      values[i] = decodeURIComponent(raw)
    } catch {
      throw new HttpError(400, `Malformed percent-encoding in path parameter "${names[i]}"`)
    }
  }
  return values
}
