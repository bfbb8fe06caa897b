/** Close codes of RFC 6455 section 7.4 and the IANA registry. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Never on the wire: reported when a close frame carried no code. */
  NoStatus: 1005,
  /** Never on the wire: reported when the connection dropped without a close frame. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
  /** Never on the wire: reported when the TLS handshake failed. */
  TlsHandshake: 1015,
} as const

/** The longest close reason in bytes: a control payload is at most 125 bytes, 2 go to the code. */
export const MAX_CLOSE_REASON = 123

/**
 * Whether a close code may appear in a close frame (received or sent): the registered codes
 * 1000–1003 and 1007–1014, and 3000–4999 (libraries and applications). 1004 is reserved,
 * 1005/1006/1015 are only for local reporting, the rest of 1000–2999 is unassigned.
 */
export function isValidCloseCode(code: number): boolean {
  if (code >= 1000 && code <= 1014) return code !== 1004 && code !== 1005 && code !== 1006
  return code >= 3000 && code <= 4999
}
