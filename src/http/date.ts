/**
 * The Date header's value (RFC 9110 §6.6.1, IMF-fixdate), made at most once a second: every
 * response of that second shares the string. A timer clears it at the next second, so a
 * response costs no clock read (Date.now() is a call into the runtime, a visible share of a
 * small HTTP/2 response); while no response asks, no timer runs.
 */
let current = ''

function expire(): void {
  current = ''
}

export function httpDate(): string {
  if (current === '') {
    const now = Date.now()
    current = new Date(now).toUTCString()
    setTimeout(expire, 1000 - (now % 1000)).unref()
  }
  return current
}
