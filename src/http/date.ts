/**
 * The Date header's value (RFC 9110 §6.6.1, IMF-fixdate), made at most once a second: every
 * response of that second shares the string.
 */
let current = ''
let until = 0

export function httpDate(now: number = Date.now()): string {
  // A clock set back is followed at once rather than after the second it left.
  if (now >= until || now < until - 1000) {
    current = new Date(now).toUTCString()
    until = now - (now % 1000) + 1000
  }
  return current
}
