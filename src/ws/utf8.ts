// UTF-8 validation for text messages and close reasons (RFC 6455 sections 5.6 and 8.1).
// `buffer.isUtf8` (native, SIMD in simdutf, Node >= 18.14) checks whole buffers; the
// incremental validator below keeps state across fragments so that a message fails on the
// fragment that makes it invalid while code points split across fragments stay valid.
import { isUtf8 } from 'node:buffer'

/** Ranges shorter than this are scanned in JS: creating the subarray for isUtf8 costs more. */
const NATIVE_MIN = 64

/** Whether a complete buffer is valid UTF-8. */
export function isValidUtf8(buf: Uint8Array): boolean {
  return buf.length < NATIVE_MIN ? scanComplete(buf) : isUtf8(buf)
}

function scanComplete(buf: Uint8Array): boolean {
  const v = new Utf8Validator()
  return v.write(buf, 0, buf.length) && v.end()
}

/**
 * Validates a stream of bytes chunk by chunk. `write` returns false as soon as the bytes seen
 * so far cannot be the start of valid UTF-8 (an invalid byte, an overlong form, a surrogate, a
 * code point above U+10FFFF); `end` returns false when the last code point is incomplete.
 */
export class Utf8Validator {
  /** Continuation bytes still expected for the current code point. */
  private need = 0
  /** Allowed range of the next continuation byte (narrower after E0, ED, F0 and F4). */
  private lo = 0x80
  private hi = 0xbf
  private failed = false

  write(buf: Uint8Array, start: number, end: number): boolean {
    if (this.failed) return false
    let i = start
    // Finish a code point left open by the previous chunk.
    while (this.need > 0 && i < end) {
      const b = buf[i++]!
      if (b < this.lo || b > this.hi) return this.fail()
      this.lo = 0x80
      this.hi = 0xbf
      this.need--
    }
    if (i === end) return true
    // Hand everything up to the last, possibly incomplete, code point to the native validator
    // and scan only that tail here, so the state machine sees at most 3 bytes per chunk.
    const cut = end - i >= NATIVE_MIN ? incompleteTail(buf, i, end) : i
    if (cut > i && !isUtf8(buf.subarray(i, cut))) return this.fail()
    return this.scan(buf, cut, end) || this.fail()
  }

  /** True when no code point is left open; resets the validator for the next message. */
  end(): boolean {
    const ok = !this.failed && this.need === 0
    this.reset()
    return ok
  }

  reset(): void {
    this.need = 0
    this.lo = 0x80
    this.hi = 0xbf
    this.failed = false
  }

  private fail(): false {
    this.failed = true
    return false
  }

  /** The byte-level state machine (Unicode Table 3-7, well-formed byte sequences). */
  private scan(buf: Uint8Array, start: number, end: number): boolean {
    let need = this.need
    let lo = this.lo
    let hi = this.hi
    for (let i = start; i < end; i++) {
      const b = buf[i]!
      if (need === 0) {
        if (b < 0x80) continue
        if (b < 0xc2) return false // continuation byte without a lead, or overlong C0/C1
        if (b < 0xe0) {
          need = 1
        } else if (b < 0xf0) {
          need = 2
          lo = b === 0xe0 ? 0xa0 : 0x80 // E0 80..9F would be overlong
          hi = b === 0xed ? 0x9f : 0xbf // ED A0..BF would be a surrogate
        } else if (b < 0xf5) {
          need = 3
          lo = b === 0xf0 ? 0x90 : 0x80 // F0 80..8F would be overlong
          hi = b === 0xf4 ? 0x8f : 0xbf // F4 90.. would be above U+10FFFF
        } else {
          return false
        }
      } else {
        if (b < lo || b > hi) return false
        lo = 0x80
        hi = 0xbf
        need--
      }
    }
    this.need = need
    this.lo = lo
    this.hi = hi
    return true
  }
}

/**
 * Where the last code point of `buf[start, end)` begins if it is incomplete, else `end`.
 * Looks back over at most 3 continuation bytes for a lead byte that wants more than remain.
 */
function incompleteTail(buf: Uint8Array, start: number, end: number): number {
  let j = end - 1
  const stop = Math.max(start, end - 4)
  while (j >= stop && (buf[j]! & 0xc0) === 0x80) j--
  if (j < stop) return end // no lead byte nearby: the native check decides
  const b = buf[j]!
  const length = b < 0xc0 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4
  return length > end - j ? j : end
}
