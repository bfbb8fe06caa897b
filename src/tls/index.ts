export { TlsServerConfig, createTlsServerOptions, attachTls, DEFAULT_HANDSHAKE_TIMEOUT, type TlsServerOptions, type ServerCertificates } from './server.ts'
export { createTlsClientOptions, clientSecureContext, type TlsClientOptions, type ClientConnectOptions } from './client.ts'
export { loadCertificate, type CertificateConfig, type TlsSource, type TlsMaterial, type LoadedCertificate } from './material.ts'
export {
  resolvePolicy,
  SECURE_CIPHERS,
  MODERN_CIPHERS,
  TLS13_CIPHERS,
  TLS12_FS_CIPHERS,
  DEFAULT_MIN_TLS_VERSION,
  type TlsPolicyName,
  type TlsPolicyOptions,
  type ResolvedPolicy,
} from './policy.ts'
export { SniResolver, normalizeHost, SNI_CACHE_DEFAULTS, type SniMap, type SniCallback, type SniCacheOptions } from './sni.ts'
export { OcspStapler, OCSP_DEFAULTS, type OcspFetch, type OcspOptions } from './ocsp.ts'
export { parseOcspResponse, OcspParseError, type OcspResponseInfo, type OcspSingleResponse, type OcspResponseStatus } from './ocsp-der.ts'
export { TicketKeyRotator, SESSION_DEFAULTS, TICKET_KEY_LENGTH, type SessionOptions } from './tickets.ts'
export { peerCertificateInfo, type PeerCertificateInfo } from './peer.ts'
export { TlsConfigError, isTlsConfigError, type TlsConfigErrorCode } from './errors.ts'
