import { TLSSocket } from 'node:tls'
import type { Socket } from 'node:net'
import { peerCertificateInfo, type PeerCertificateInfo } from '../tls/peer.ts'

/** What `req.tls` shows about the TLS connection a request came on. */
export interface RequestTlsInfo {
  /** The negotiated version, e.g. 'TLSv1.3'. */
  readonly protocol: string | null
  /** The cipher suite's standard name, e.g. 'TLS_AES_128_GCM_SHA256'. */
  readonly cipher: string
  /** The ALPN protocol: 'h2', 'http/1.1', or null when the client offered none. */
  readonly alpn: string | null
  /** The name the client asked for with SNI, or null. */
  readonly servername: string | null
  /** The client's certificate (mutual TLS), or null when it sent none. */
  readonly peerCertificate: PeerCertificateInfo | null
  /** Whether the client's certificate verified against the trusted CAs. */
  readonly authorized: boolean
  /** Whether the session was resumed from a ticket. */
  readonly resumed: boolean
}

// Everything here is fixed once the handshake is over, so every request on a connection (up to
// 1000 on HTTP/1.1, unbounded on HTTP/2) shares one answer instead of asking OpenSSL again.
const cache = new WeakMap<Socket, RequestTlsInfo>()

/** The TLS facts of a connection, or null for a cleartext one. */
export function tlsInfo(socket: Socket | null | undefined): RequestTlsInfo | null {
  if (!(socket instanceof TLSSocket)) return null
  let info = cache.get(socket)
  if (info === undefined) {
    const cipher = socket.getCipher()
    const servername = (socket as { servername?: string | false }).servername
    info = Object.freeze({
      protocol: socket.getProtocol(),
      cipher: cipher.standardName ?? cipher.name,
      alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
      servername: typeof servername === 'string' && servername !== '' ? servername : null,
      peerCertificate: peerCertificateInfo(socket),
      authorized: socket.authorized,
      resumed: socket.isSessionReused(),
    })
    cache.set(socket, info)
  }
  return info
}
