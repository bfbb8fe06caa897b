/**
 * Response header storage: a plain object keyed by lower-case name. Cheaper than the web
 * `Headers` class on the hot path, and maps directly onto what the engines write.
 */
export type HeaderValue = string | string[]
export type HeadersInit =
  | Record<string, string | number | readonly string[] | undefined>
  | Iterable<readonly [string, string]>
  | ResponseHeaders

// The map's prototype: empty and prototype-less, so names like `constructor` look up as absent,
// while the map itself stays a fast-mode object (Object.create(null) would start in V8's
// slower dictionary mode, which showed up in the response path's profile).
const NO_INHERITED: object = Object.freeze(Object.create(null) as object)

export class ResponseHeaders {
  /** name (lower case) → value; `set-cookie` and appended names may hold arrays. */
  readonly map: Record<string, HeaderValue>

  constructor(init?: HeadersInit) {
    this.map = Object.create(NO_INHERITED) as Record<string, HeaderValue>
    if (init !== undefined) this.assign(init)
  }

  /** Copies headers in, replacing same-named ones (arrays and iterables of pairs append). */
  assign(init: HeadersInit): this {
    if (init instanceof ResponseHeaders) {
      for (const name in init.map) {
        const v = init.map[name]!
        this.map[name] = Array.isArray(v) ? v.slice() : v
      }
    } else if (isPairs(init)) {
      for (const [name, value] of init) this.append(name, value)
    } else {
      for (const name in init) {
        const v = init[name]
        if (v === undefined) continue
        if (Array.isArray(v)) for (const item of v as readonly string[]) this.append(name, item)
        else this.set(name, String(v))
      }
    }
    return this
  }

  get(name: string): string | undefined {
    const v = this.map[name.toLowerCase()]
    if (v === undefined) return undefined
    return typeof v === 'string' ? v : v.join(', ')
  }

  /** Every Set-Cookie value separately (they cannot be joined with commas). */
  getSetCookie(): string[] {
    const v = this.map['set-cookie']
    if (v === undefined) return []
    return typeof v === 'string' ? [v] : v.slice()
  }

  has(name: string): boolean {
    return this.map[name.toLowerCase()] !== undefined
  }

  set(name: string, value: string): this {
    checkHeader(name, value)
    this.map[name.toLowerCase()] = value
    return this
  }

  append(name: string, value: string): this {
    checkHeader(name, value)
    const key = name.toLowerCase()
    const prev = this.map[key]
    if (prev === undefined) this.map[key] = value
    else if (typeof prev === 'string') this.map[key] = [prev, value]
    else prev.push(value)
    return this
  }

  delete(name: string): this {
    delete this.map[name.toLowerCase()]
    return this
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name in this.map) {
      const v = this.map[name]!
      if (typeof v === 'string') yield [name, v]
      else for (const item of v) yield [name, item]
    }
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()
  }
}

function isPairs(init: HeadersInit): init is Iterable<readonly [string, string]> {
  return typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function'
}

// RFC 9110 field-name token and field-value (no CR, LF or NUL): refusing them here stops
// header injection before the engine would throw mid-response.
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const BAD_VALUE = /[\r\n\0]/

function checkHeader(name: string, value: string): void {
  if (!FIELD_NAME.test(name) || name === '__proto__') throw new TypeError(`invalid header name: ${JSON.stringify(name)}`)
  if (BAD_VALUE.test(value)) throw new TypeError(`invalid value for header ${name}`)
}
