// The sending half of RFC 6455: encodes frames into Buffers. Pure functions of their inputs
// (plus random mask keys), so one encoded frame can be written to many sockets: a broadcast
// frames each message once.
import { randomFillSync } from 'node:crypto'
import { MAX_CLOSE_REASON, isValidCloseCode } from './close-codes.ts'
import { applyMask } from './mask.ts'
import { MAX_CONTROL_PAYLOAD, Opcode } from './opcodes.ts'

/**
 * Unmasked payloads at least this big are returned as their own Buffer by `encodeFrameParts`
 * rather than copied behind the header: a writev of two buffers beats a large copy.
 */
export const COPY_LIMIT = 16 * 1024

const EMPTY = Buffer.alloc(0)

// Mask keys come from a pool refilled 2048 keys at a time: one randomFillSync call per 8 KiB
// instead of one per frame (the call costs far more than the 4 bytes it produces).
const KEY_POOL_SIZE = 8192
const keyPool = Buffer.allocUnsafe(KEY_POOL_SIZE)
let keyOffset = KEY_POOL_SIZE

function nextMaskKey(): number {
  if (keyOffset === KEY_POOL_SIZE) {
    randomFillSync(keyPool)
    keyOffset = 0
  }
  const offset = keyOffset
  keyOffset += 4
  return offset
}

/** Bytes of header for a payload of `length` bytes. */
export function headerSize(length: number, mask: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (mask ? 4 : 0)
}

/** Writes the header at `out[0]`; returns where the payload starts (after the mask key). */
function writeHeader(out: Buffer, opcode: number, length: number, fin: boolean, rsv1: boolean, maskOffset: number): number {
  out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode
  const maskBit = maskOffset >= 0 ? 0x80 : 0
  let pos: number
  if (length < 126) {
    out[1] = maskBit | length
    pos = 2
  } else if (length < 65536) {
    out[1] = maskBit | 126
    out[2] = length >>> 8
    out[3] = length & 0xff
    pos = 4
  } else {
    out[1] = maskBit | 127
    const high = Math.floor(length / 2 ** 32)
    out.writeUInt32BE(high, 2)
    out.writeUInt32BE(length - high * 2 ** 32, 6)
    pos = 10
  }
  if (maskOffset >= 0) {
    // Four stores beat a native copy call for 4 bytes.
    out[pos] = keyPool[maskOffset]!
    out[pos + 1] = keyPool[maskOffset + 1]!
    out[pos + 2] = keyPool[maskOffset + 2]!
    out[pos + 3] = keyPool[maskOffset + 3]!
    pos += 4
  }
  return pos
}

/**
 * One frame as a single Buffer: header, then the payload (a string is encoded as UTF-8
 * straight into the frame). `mask` is true for a client, false for a server.
 */
export function encodeFrame(opcode: number, payload: Uint8Array | string, mask: boolean, fin = true, rsv1 = false): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length
  const maskOffset = mask ? nextMaskKey() : -1
  const out = Buffer.allocUnsafe(headerSize(length, mask) + length)
  const start = writeHeader(out, opcode, length, fin, rsv1, maskOffset)
  if (typeof payload === 'string') out.write(payload, start, 'utf8')
  else out.set(payload, start)
  if (mask) applyMask(out, start, start + length, keyPool, maskOffset)
  return out
}

/**
 * One frame as Buffers to write in order: a large unmasked payload is not copied but returned
 * after a separate header (the payload must then not change until written).
 */
export function encodeFrameParts(opcode: number, payload: Uint8Array, mask: boolean, fin = true, rsv1 = false): Buffer[] {
  if (mask || payload.length < COPY_LIMIT) return [encodeFrame(opcode, payload, mask, fin, rsv1)]
  const header = Buffer.allocUnsafe(headerSize(payload.length, false))
  writeHeader(header, opcode, payload.length, fin, rsv1, -1)
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length)
  return [header, body]
}

/** A text (string) or binary (bytes) message in one frame; `rsv1` marks a compressed payload. */
export function encodeMessage(data: string | Uint8Array, mask: boolean, rsv1 = false): Buffer {
  return encodeFrame(typeof data === 'string' ? Opcode.Text : Opcode.Binary, data, mask, true, rsv1)
}

/**
 * A message split into frames of at most `fragmentSize` payload bytes: the first carries the
 * opcode (and RSV1 when compressed), the rest are continuations, the last has FIN.
 */
export function encodeFragments(opcode: number, payload: Uint8Array | string, fragmentSize: number, mask: boolean, rsv1 = false): Buffer[] {
  if (!(fragmentSize >= 1)) throw new RangeError('fragmentSize must be at least 1')
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload
  if (bytes.length <= fragmentSize) return [encodeFrame(opcode, bytes, mask, true, rsv1)]
  const frames: Buffer[] = []
  for (let offset = 0; offset < bytes.length; offset += fragmentSize) {
    const end = Math.min(offset + fragmentSize, bytes.length)
    const first = offset === 0
    frames.push(encodeFrame(first ? opcode : Opcode.Continuation, bytes.subarray(offset, end), mask, end === bytes.length, first && rsv1))
  }
  return frames
}

/** A ping or pong; throws when the payload is above 125 bytes. */
export function encodeControl(opcode: number, payload: Uint8Array | string, mask: boolean): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length
  if (length > MAX_CONTROL_PAYLOAD) throw new RangeError(`control frame payload is ${length} bytes, the limit is ${MAX_CONTROL_PAYLOAD}`)
  return encodeFrame(opcode, payload, mask)
}

/**
 * A close frame: no payload without a code, else the code and a UTF-8 reason of at most 123
 * bytes. Throws on a code that may not be sent (1005, 1006, 1015, unassigned ones).
 */
export function encodeClose(code: number | undefined, reason: string, mask: boolean): Buffer {
  if (code === undefined) {
    if (reason !== '') throw new TypeError('a close reason needs a close code')
    return encodeFrame(Opcode.Close, EMPTY, mask)
  }
  if (!Number.isInteger(code) || !isValidCloseCode(code)) throw new RangeError(`invalid close code ${code}`)
  const reasonLength = Buffer.byteLength(reason)
  if (reasonLength > MAX_CLOSE_REASON) throw new RangeError(`close reason is ${reasonLength} bytes, the limit is ${MAX_CLOSE_REASON}`)
  const payload = Buffer.allocUnsafe(2 + reasonLength)
  payload.writeUInt16BE(code, 0)
  payload.write(reason, 2, 'utf8')
  return encodeFrame(Opcode.Close, payload, mask)
}
