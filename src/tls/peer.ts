import { TLSSocket, type PeerCertificate } from 'node:tls'
import type { Socket } from 'node:net'

/** The peer's certificate as plain data (what `req.tls` will show), detached from the socket. */
export interface PeerCertificateInfo {
  /** Subject fields, e.g. `{ O: 'weft', CN: 'weft test client' }`; repeated fields joined with ', '. */
  readonly subject: Readonly<Record<string, string>>
  readonly issuer: Readonly<Record<string, string>>
  /** e.g. 'DNS:a.example.com, IP Address:127.0.0.1', or null. */
  readonly subjectAltName: string | null
  /** Upper-case hex. */
  readonly serialNumber: string
  /** SHA-256 of the DER certificate, 'AB:CD:...'. */
  readonly fingerprint256: string
  readonly validFrom: Date
  readonly validTo: Date
  /** Whether it verified against the trusted CAs (false when the server only requested it). */
  readonly authorized: boolean
  readonly authorizationError: string | null
  /** The DER certificate. */
  readonly raw: Buffer
}

// node:tls gives repeated fields (two OUs, ...) as arrays.
function fields(name: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (name === null || typeof name !== 'object') return out
  for (const [key, value] of Object.entries(name as Record<string, unknown>)) {
    out[key] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return out
}

/**
 * The certificate the peer presented on a TLS socket (the client's, on a server with mutual
 * TLS), or null when it sent none or the socket is not TLS. Works on weft/net connections
 * through `conn.node`, and on the sockets of node:https and node:http2 requests.
 */
export function peerCertificateInfo(socket: Socket): PeerCertificateInfo | null {
  if (!(socket instanceof TLSSocket)) return null
  const cert: PeerCertificate = socket.getPeerCertificate(false)
  // Node returns an empty object, not null, when there is no certificate.
  if (cert === null || cert.raw === undefined) return null
  const error = socket.authorizationError as Error | string | null | undefined
  return {
    subject: fields(cert.subject),
    issuer: fields(cert.issuer),
    subjectAltName: cert.subjectaltname ?? null,
    serialNumber: cert.serialNumber.toUpperCase(),
    fingerprint256: cert.fingerprint256,
    validFrom: new Date(cert.valid_from),
    validTo: new Date(cert.valid_to),
    authorized: socket.authorized,
    authorizationError: error === null || error === undefined ? null : typeof error === 'string' ? error : error.message,
    raw: cert.raw,
  }
}
