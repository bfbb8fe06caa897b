// Just enough DER to read an OCSP response (RFC 6960 §4.2.1): its status, and for each certificate
// it answers for, the serial number, the verdict and the validity window. It does not verify the
// signature: the client does that with the stapled bytes; the server only needs to know how long
// an answer may be served and that it is an answer about the right certificate.

/** A DER element: its tag byte and where its content lies in the buffer. */
interface Element {
  readonly tag: number
  readonly start: number
  readonly end: number
}

const SEQUENCE = 0x30
const ENUMERATED = 0x0a
const OID = 0x06
const OCTET_STRING = 0x04
const INTEGER = 0x02
const GENERALIZED_TIME = 0x18
const CONTEXT_0 = 0xa0 // [0] constructed
const CONTEXT_1 = 0xa1

// 1.3.6.1.5.5.7.48.1.1, id-pkix-ocsp-basic: the only response type there is in practice.
const BASIC_RESPONSE_OID = '2b0601050507300101'

export class OcspParseError extends Error {
  override readonly name = 'OcspParseError'
}

function element(der: Uint8Array, offset: number, limit: number): Element {
  if (offset + 2 > limit) throw new OcspParseError(`truncated element at byte ${offset}`)
  const tag = der[offset]!
  if ((tag & 0x1f) === 0x1f) throw new OcspParseError(`unexpected high tag number at byte ${offset}`)
  let length = der[offset + 1]!
  let start = offset + 2
  if (length & 0x80) {
    const bytes = length & 0x7f
    // Four length bytes already mean 4 GiB; DER forbids the indefinite form (0x80).
    if (bytes === 0 || bytes > 4) throw new OcspParseError(`bad length at byte ${offset}`)
    length = 0
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!
    start += bytes
  }
  const end = start + length
  if (end > limit) throw new OcspParseError(`element at byte ${offset} runs past its parent`)
  return { tag, start, end }
}

/** The elements directly inside a constructed one. */
function children(der: Uint8Array, parent: Element): Element[] {
  const out: Element[] = []
  for (let at = parent.start; at < parent.end; ) {
    const child = element(der, at, parent.end)
    out.push(child)
    at = child.end
  }
  return out
}

function expect(el: Element | undefined, tag: number, what: string): Element {
  if (el === undefined || el.tag !== tag) throw new OcspParseError(`expected ${what}`)
  return el
}

function hex(der: Uint8Array, el: Element): string {
  return Buffer.from(der.buffer, der.byteOffset + el.start, el.end - el.start).toString('hex')
}

// YYYYMMDDHHMMSS[.fff]Z
function time(der: Uint8Array, el: Element, what: string): Date {
  const text = Buffer.from(der.buffer, der.byteOffset + el.start, el.end - el.start).toString('latin1')
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(text)
  if (m === null) throw new OcspParseError(`${what}: not a GeneralizedTime ("${text}")`)
  const ms = m[7] === undefined ? 0 : Math.round(Number(`0${m[7]}`) * 1000)
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms))
}

export type OcspResponseStatus = 'successful' | 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized' | 'unknown'

const STATUS: Record<number, OcspResponseStatus> = { 0: 'successful', 1: 'malformedRequest', 2: 'internalError', 3: 'tryLater', 5: 'sigRequired', 6: 'unauthorized' }

export interface OcspSingleResponse {
  /** Serial number of the certificate, upper-case hex without leading zeros (as X509Certificate). */
  readonly serialNumber: string
  readonly certStatus: 'good' | 'revoked' | 'unknown'
  readonly thisUpdate: Date
  /** Null when the responder gives none (newer information is always available). */
  readonly nextUpdate: Date | null
}

export interface OcspResponseInfo {
  readonly status: OcspResponseStatus
  /** Empty unless the status is 'successful'. */
  readonly producedAt: Date | null
  readonly responses: readonly OcspSingleResponse[]
}

function serial(der: Uint8Array, el: Element): string {
  return hex(der, el).replace(/^(00)+(?=.)/, '').toUpperCase()
}

/** Reads an OCSPResponse (DER). Throws OcspParseError when it is not one. */
export function parseOcspResponse(der: Uint8Array): OcspResponseInfo {
  const top = expect(element(der, 0, der.length), SEQUENCE, 'OCSPResponse SEQUENCE')
  if (top.end !== der.length) throw new OcspParseError('trailing bytes after the OCSPResponse')
  const [statusEl, bytesEl] = children(der, top)
  const code = der[expect(statusEl, ENUMERATED, 'responseStatus').start]!
  const status = STATUS[code] ?? 'unknown'
  if (status !== 'successful' || bytesEl === undefined) return { status, producedAt: null, responses: [] }

  const responseBytes = expect(children(der, expect(bytesEl, CONTEXT_0, 'responseBytes [0]'))[0], SEQUENCE, 'ResponseBytes')
  const [type, octets] = children(der, responseBytes)
  if (hex(der, expect(type, OID, 'responseType')) !== BASIC_RESPONSE_OID) throw new OcspParseError('not a basic OCSP response')
  const octetEl = expect(octets, OCTET_STRING, 'response OCTET STRING')
  const basic = expect(element(der, octetEl.start, octetEl.end), SEQUENCE, 'BasicOCSPResponse')
  const tbs = expect(children(der, basic)[0], SEQUENCE, 'ResponseData')

  let fields = children(der, tbs)
  if (fields[0]?.tag === CONTEXT_0) fields = fields.slice(1) // version, v1 by default
  // fields[0] is the responderID ([1] name or [2] key hash); skip it.
  const producedAt = time(der, expect(fields[1], GENERALIZED_TIME, 'producedAt'), 'producedAt')
  const responses: OcspSingleResponse[] = []
  for (const single of children(der, expect(fields[2], SEQUENCE, 'responses'))) {
    const [certId, statusChoice, thisUpdateEl, ...rest] = children(der, expect(single, SEQUENCE, 'SingleResponse'))
    const idFields = children(der, expect(certId, SEQUENCE, 'CertID'))
    const serialNumber = serial(der, expect(idFields[3], INTEGER, 'CertID serialNumber'))
    // CertStatus: good [0] IMPLICIT NULL, revoked [1] IMPLICIT SEQUENCE, unknown [2] IMPLICIT NULL
    const choice = (statusChoice?.tag ?? 0xff) & 0x1f
    const certStatus = choice === 0 ? 'good' : choice === 1 ? 'revoked' : choice === 2 ? 'unknown' : null
    if (certStatus === null) throw new OcspParseError('bad certStatus')
    const thisUpdate = time(der, expect(thisUpdateEl, GENERALIZED_TIME, 'thisUpdate'), 'thisUpdate')
    let nextUpdate: Date | null = null
    const next = rest[0]
    if (next !== undefined && next.tag === CONTEXT_0) {
      nextUpdate = time(der, expect(children(der, next)[0], GENERALIZED_TIME, 'nextUpdate'), 'nextUpdate')
    } else if (next !== undefined && next.tag !== CONTEXT_1) {
      throw new OcspParseError('unexpected field after thisUpdate')
    }
    responses.push({ serialNumber, certStatus, thisUpdate, nextUpdate })
  }
  return { status, producedAt, responses }
}
