import { HttpError } from '../http/errors.ts'
import { paramNames, parsePattern } from './pattern.ts'
import { RadixTree } from './tree.ts'

/** The handlers registered for one path pattern, by method. */
export class RouteSlot<T> {
  readonly pattern: string
  readonly methods: Record<string, MethodEntry<T>> = Object.create(null)
  /** The Allow header for this path, kept current as methods are added. */
  allow = ''

  constructor(pattern: string) {
    this.pattern = pattern
  }
}

/** A match is read, never changed: a path without parameters gets the same match object every time. */
export type RouteMatch<T> =
  /** A handler for this method (HEAD may be answered by GET: `head` tells). */
  | { readonly kind: 'found'; readonly value: T; readonly params: Record<string, string>; readonly head: boolean; readonly slot: RouteSlot<T> }
  /** The path exists but not for this method; OPTIONS lands here too. */
  | { readonly kind: 'method'; readonly allow: string; readonly slot: RouteSlot<T> }
  | { readonly kind: 'none' }

type FoundMatch<T> = Extract<RouteMatch<T>, { kind: 'found' }>

/** One method's handler on a slot, with its matches for parameterless paths made up front. */
interface MethodEntry<T> {
  readonly value: T
  readonly names: string[]
  readonly build: ParamsBuilder
  /** The match for a static path (no parameters), as asked and as HEAD answered by GET. */
  readonly found: FoundMatch<T>
  readonly foundHead: FoundMatch<T>
}

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
    slot.methods[method] = {
      value,
      names,
      build: paramsBuilder(names),
      found: { kind: 'found', value, params: NO_PARAMS, head: false, slot },
      foundHead: { kind: 'found', value, params: NO_PARAMS, head: true, slot },
    }
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
    // A static path's match is the same every time: made once, when the route was added.
    if (values === null) return head ? entry.foundHead : entry.found
    return { kind: 'found', value: entry.value, params: entry.build(decodeValues(entry.names, values)), head, slot }
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
