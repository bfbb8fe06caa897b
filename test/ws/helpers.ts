// Shared helpers for the WebSocket codec tests: hand-crafted frames, a recording handler, and
// feeding the same bytes whole, one byte at a time and in seeded random splits.
import assert from 'node:assert/strict'
import { FrameParser, type FrameHandler, type FrameParserOptions } from '../../src/ws/index.ts'

export interface RawFrame {
  fin?: boolean
  /** RSV bits as they sit in byte 0: 0x40 (RSV1), 0x20 (RSV2), 0x10 (RSV3). */
  rsv?: number
  opcode: number
  payload?: Buffer | string
  /** A 4-byte key, or true for a fixed one; absent or false: unmasked. */
  mask?: boolean | Buffer
  /** Force a 16- or 64-bit length encoding. */
  lengthBits?: 7 | 16 | 64
}

const FIXED_KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d])

/** Encodes a frame by hand, independently of the frame writer under test. */
export function frame(f: RawFrame): Buffer {
  const payload = typeof f.payload === 'string' ? Buffer.from(f.payload) : (f.payload ?? Buffer.alloc(0))
  const len = payload.length
  const bits = f.lengthBits ?? (len < 126 ? 7 : len < 65536 ? 16 : 64)
  const key = f.mask === true ? FIXED_KEY : f.mask === false || f.mask === undefined ? null : f.mask
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | (f.rsv ?? 0) | f.opcode]
  const m = key === null ? 0 : 0x80
  if (bits === 7) head.push(m | len)
  else if (bits === 16) head.push(m | 126, len >> 8, len & 0xff)
  else {
    head.push(m | 127)
    const hi = Math.floor(len / 2 ** 32)
    const b = Buffer.alloc(8)
    b.writeUInt32BE(hi, 0)
    b.writeUInt32BE(len - hi * 2 ** 32, 4)
    head.push(...b)
  }
  if (key === null) return Buffer.concat([Buffer.from(head), payload])
  const masked = Buffer.from(payload.map((byte, i) => byte ^ key[i & 3]!))
  return Buffer.concat([Buffer.from(head), key, masked])
}

/** A frame as a client sends it (masked), for a server-side parser. */
export function cframe(f: Omit<RawFrame, 'mask'>): Buffer {
  return frame({ ...f, mask: true })
}

export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason))
  b.writeUInt16BE(code, 0)
  b.write(reason, 2)
  return b
}

export type Event =
  | ['text', string]
  | ['binary', string]
  | ['ping', string]
  | ['pong', string]
  | ['close', number, string]
  | ['error', number]

/** Records what the parser reports (binary and control payloads as hex). */
export class Recorder implements FrameHandler {
  events: Event[] = []
  messages: string[] = []
  onMessage(data: Buffer, binary: boolean): void {
    this.events.push(binary ? ['binary', data.toString('hex')] : ['text', data.toString('utf8')])
  }
  onPing(data: Buffer): void {
    this.events.push(['ping', data.toString('hex')])
  }
  onPong(data: Buffer): void {
    this.events.push(['pong', data.toString('hex')])
  }
  onClose(code: number, reason: string): void {
    this.events.push(['close', code, reason])
  }
  onError(code: number, message: string): void {
    this.events.push(['error', code])
    this.messages.push(message)
  }
}

/** mulberry32: a small seeded PRNG so that random splits are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Seeds of the random splits every parser test runs with. */
export const SEEDS = [1, 2, 3, 42, 1337]

export interface Split {
  name: string
  chunks: Buffer[]
}

/**
 * The ways the same bytes are fed: whole, one byte at a time, and random splits. Each chunk is
 * a fresh copy, because the parser unmasks in place.
 */
export function splits(bytes: Buffer): Split[] {
  const out: Split[] = [
    { name: 'whole', chunks: [Buffer.from(bytes)] },
    { name: 'bytewise', chunks: Array.from(bytes, (b) => Buffer.from([b])) },
  ]
  for (const seed of SEEDS) {
    const rand = prng(seed)
    const chunks: Buffer[] = []
    let pos = 0
    while (pos < bytes.length) {
      // Mostly small pieces so that headers and payloads get cut, sometimes a big one.
      const size = rand() < 0.8 ? 1 + Math.floor(rand() * 7) : 1 + Math.floor(rand() * 300)
      chunks.push(Buffer.from(bytes.subarray(pos, pos + size)))
      pos += size
    }
    out.push({ name: `seed ${seed}`, chunks })
  }
  return out
}

/** Feeds the chunks to a fresh parser; waits for zlib when an inflater is set. */
export async function parse(chunks: Buffer[], options: FrameParserOptions): Promise<Recorder> {
  const rec = new Recorder()
  const parser = new FrameParser(rec, options)
  for (const c of chunks) parser.push(c)
  // Compressed messages complete asynchronously: wait while the parser waits on zlib.
  while (parser.inflating) await new Promise((resolve) => setImmediate(resolve))
  return rec
}

/**
 * Asserts that the bytes produce `expected` however they are split. `makeOptions` is called
 * per run (an inflater holds per-connection state).
 */
export async function expectEvents(bytes: Buffer, options: FrameParserOptions | (() => FrameParserOptions), expected: Event[]): Promise<void> {
  for (const split of splits(bytes)) {
    const rec = await parse(split.chunks, typeof options === 'function' ? options() : options)
    assert.deepEqual(rec.events, expected, `fed ${split.name}`)
  }
}

export const server: FrameParserOptions = { role: 'server' }
export const client: FrameParserOptions = { role: 'client' }
