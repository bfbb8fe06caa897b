import type { ContentCoding } from '../http/codings.ts'

/** The outcome of negotiating a response's content coding. */
export interface EncodingChoice {
  /** The coding to use, or null to send the body as it is. */
  readonly coding: ContentCoding | null
  /** Whether the client accepts an uncoded body (false after `identity;q=0` or `*;q=0`). */
  readonly identityOk: boolean
}

const IDENTITY: EncodingChoice = Object.freeze({ coding: null, identityOk: true })
// RFC 9110 §12.4.2 qvalue: at most three decimals, never above 1.
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

/**
 * Picks a coding from an Accept-Encoding value (RFC 9110 §12.5.3). `available` is in the
 * server's order of preference, which breaks ties between equal q-values; a client that rates
 * identity (by name or through `*`) above every coding it accepts gets identity. `*` stands for every coding not named;
 * `x-gzip` counts as gzip. No header at all means identity: the RFC allows any coding then,
 * but clients that can decode say so, and guessing breaks the ones that cannot.
 */
export function negotiateEncoding(header: string | undefined, available: readonly ContentCoding[]): EncodingChoice {
  if (header === undefined) return IDENTITY
  let star = -1
  let identity = -1
  // q-values of the available codings, by index; -1 = not named.
  const q: number[] = new Array<number>(available.length).fill(-1)
  for (const element of header.split(',')) {
    const semi = element.indexOf(';')
    let name = (semi === -1 ? element : element.slice(0, semi)).trim().toLowerCase()
    if (name === '') continue
    let weight = 1
    if (semi !== -1) {
      const w = qOf(element.slice(semi + 1))
      if (w === null) continue // a malformed q-value: ignore the element rather than guess
      weight = w
    }
    if (name === 'x-gzip') name = 'gzip'
    if (name === '*') star = Math.max(star, weight)
    else if (name === 'identity') identity = Math.max(identity, weight)
    else {
      const i = available.indexOf(name as ContentCoding)
      if (i !== -1) q[i] = Math.max(q[i]!, weight)
    }
  }
  let best = -1
  let bestQ = 0
  for (let i = 0; i < available.length; i++) {
    const w = q[i] === -1 ? (star === -1 ? 0 : star) : q[i]!
    if (w > bestQ) {
      best = i
      bestQ = w
    }
  }
  // Identity only competes on q when the client rates it (by name or through `*`); otherwise
  // it is acceptable but comes last ("gzip;q=0.8" still means gzip).
  const identityQ = identity !== -1 ? identity : star
  const identityOk = identityQ !== 0
  if (best === -1 || identityQ > bestQ) return identityOk ? IDENTITY : { coding: null, identityOk: false }
  return { coding: available[best]!, identityOk }
}

/** The q parameter of an element's parameters ("q=0.5; foo=bar"); 1 when absent, null when malformed. */
function qOf(params: string): number | null {
  for (const param of params.split(';')) {
    const eq = param.indexOf('=')
    if (eq === -1) continue
    if (param.slice(0, eq).trim().toLowerCase() !== 'q') continue
    const value = param.slice(eq + 1).trim()
    return QVALUE.test(value) ? Number(value) : null
  }
  return 1
}

/**
 * Remembers recent answers per Accept-Encoding value: browsers send the same few strings over
 * and over, so the common request pays one Map lookup instead of a parse. Bounded so that
 * clients sending random headers cannot grow it.
 */
export class EncodingCache {
  private readonly map = new Map<string, EncodingChoice>()
  constructor(private readonly available: readonly ContentCoding[]) {}

  choose(header: string | undefined): EncodingChoice {
    if (header === undefined) return IDENTITY
    let choice = this.map.get(header)
    if (choice === undefined) {
      choice = negotiateEncoding(header, this.available)
      if (this.map.size >= 64) this.map.clear()
      if (header.length <= 256) this.map.set(header, choice)
    }
    return choice
  }
}
