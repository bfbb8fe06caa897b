// Sec-WebSocket-Extensions and Sec-WebSocket-Protocol values (RFC 6455 sections 9.1 and 11.3.4,
// list and parameter syntax from RFC 7230):
//   extension-list = 1#( token *( OWS ";" OWS token [ BWS "=" BWS ( token / quoted-string ) ] ) )
// A quoted parameter value must still be a token once unquoted (RFC 6455 9.1).

/** One element of an extension list, parameters in order (duplicates kept: negotiation rejects them). */
export interface ExtensionOffer {
  name: string
  /** `true` for a parameter without a value. */
  params: Array<[name: string, value: string | true]>
}

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1

function isTchar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1
}

/** Whether `s` is a non-empty RFC 7230 token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false
  return true
}

/** Joins repeated header fields the way a list header allows. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

class Scanner {
  pos = 0
  constructor(readonly s: string) {}

  skipSpace(): void {
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos)
      if (c !== 0x20 && c !== 0x09) break
      this.pos++
    }
  }

  token(): string | null {
    const start = this.pos
    while (this.pos < this.s.length && isTchar(this.s.charCodeAt(this.pos))) this.pos++
    return this.pos === start ? null : this.s.slice(start, this.pos)
  }

  quoted(): string | null {
    // At the opening quote. quoted-pair is a backslash and any visible character.
    let out = ''
    this.pos++
    while (this.pos < this.s.length) {
      let c = this.s.charCodeAt(this.pos++)
      if (c === 0x22) return out
      if (c === 0x5c) {
        if (this.pos === this.s.length) return null
        c = this.s.charCodeAt(this.pos++)
      }
      if (c < 0x20 && c !== 0x09) return null
      out += String.fromCharCode(c)
    }
    return null // unterminated
  }

  peek(): number {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1
  }
}

/**
 * Parses an extension list; `null` when the syntax is invalid. Empty list elements ("a, , b")
 * are skipped, as RFC 7230 section 7 asks of recipients.
 */
export function parseExtensions(header: string): ExtensionOffer[] | null {
  const sc = new Scanner(header)
  const out: ExtensionOffer[] = []
  for (;;) {
    sc.skipSpace()
    if (sc.peek() === 0x2c) {
      sc.pos++
      continue
    }
    if (sc.peek() === -1) return out
    const name = sc.token()
    if (name === null) return null
    const offer: ExtensionOffer = { name, params: [] }
    out.push(offer)
    sc.skipSpace()
    while (sc.peek() === 0x3b) {
      sc.pos++
      sc.skipSpace()
      const param = sc.token()
      if (param === null) return null
      sc.skipSpace()
      let value: string | true = true
      if (sc.peek() === 0x3d) {
        sc.pos++
        sc.skipSpace()
        const v = sc.peek() === 0x22 ? sc.quoted() : sc.token()
        if (v === null || !isToken(v)) return null
        value = v
        sc.skipSpace()
      }
      offer.params.push([param, value])
    }
    const next = sc.peek()
    if (next === -1) return out
    if (next !== 0x2c) return null
    sc.pos++
  }
}

/** Serializes an extension list (values are tokens, so they need no quoting). */
export function formatExtensions(list: ExtensionOffer[]): string {
  let out = ''
  for (const ext of list) {
    if (out !== '') out += ', '
    out += ext.name
    for (const [name, value] of ext.params) out += value === true ? `; ${name}` : `; ${name}=${value}`
  }
  return out
}

/**
 * Parses a Sec-WebSocket-Protocol list: comma-separated tokens, no duplicates (compared
 * exactly: subprotocol names are case-sensitive). `null` when invalid.
 */
export function parseSubprotocols(header: string): string[] | null {
  const out: string[] = []
  for (const part of header.split(',')) {
    const name = part.trim()
    if (name === '') continue
    if (!isToken(name) || out.includes(name)) return null
    out.push(name)
  }
  return out
}
