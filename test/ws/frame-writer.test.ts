// Frame writer: exact bytes for small cases, writer -> parser round trips (in every split), and
// the masking routine against a naive one.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import {
  applyMask,
  encodeClose,
  encodeControl,
  encodeFragments,
  encodeFrame,
  encodeFrameParts,
  encodeMessage,
  headerSize,
  COPY_LIMIT,
} from '../../src/ws/index.ts'
import { type Event, client, expectEvents, frame, prng, server } from './helpers.ts'

describe('exact bytes', () => {
  test('an unmasked frame equals the hand-crafted one, for each length encoding', () => {
    for (const size of [0, 5, 125, 126, 65535, 65536]) {
      const payload = Buffer.alloc(size, 0x61)
      assert.deepEqual(encodeFrame(2, payload, false), frame({ opcode: 2, payload }), `size ${size}`)
      assert.equal(headerSize(size, false) + size, encodeFrame(2, payload, false).length)
    }
    assert.deepEqual(encodeMessage('Hi', false), Buffer.from([0x81, 0x02, 0x48, 0x69]))
    assert.deepEqual(encodeFrame(1, 'Hi', false, false, true), Buffer.from([0x41, 0x02, 0x48, 0x69]))
  })

  test('a masked frame has the mask bit, a key, and the payload XORed with it', () => {
    const out = encodeFrame(1, 'Hello', true)
    assert.equal(out[0], 0x81)
    assert.equal(out[1], 0x80 | 5)
    const key = out.subarray(2, 6)
    const payload = Buffer.from(out.subarray(6).map((b, i) => b ^ key[i & 3]!))
    assert.equal(payload.toString(), 'Hello')
  })

  test('mask keys differ from frame to frame (and across a refill of the key pool)', () => {
    const keys = new Set<string>()
    for (let i = 0; i < 5000; i++) keys.add(encodeFrame(2, Buffer.alloc(1), true).subarray(2, 6).toString('hex'))
    // 5000 random 32-bit keys: a collision is possible but rare; a constant key gives 1.
    assert.ok(keys.size > 4990, `only ${keys.size} distinct keys`)
  })

  test('close frames', () => {
    assert.deepEqual(encodeClose(undefined, '', false), Buffer.from([0x88, 0x00]))
    assert.deepEqual(encodeClose(1000, 'ok', false), Buffer.from([0x88, 0x04, 0x03, 0xe8, 0x6f, 0x6b]))
    assert.equal(encodeClose(4000, 'é'.repeat(61) + 'a', false).length, 2 + 2 + 123)
    assert.throws(() => encodeClose(1000, 'x'.repeat(124), false), RangeError)
    assert.throws(() => encodeClose(1000, 'é'.repeat(62), false), RangeError)
    for (const code of [999, 1004, 1005, 1006, 1015, 2000, 5000, 1000.5]) assert.throws(() => encodeClose(code, '', false), RangeError, `code ${code}`)
    assert.throws(() => encodeClose(undefined, 'why', false), TypeError)
  })

  test('control frames are limited to 125 bytes', () => {
    assert.equal(encodeControl(9, Buffer.alloc(125), false).length, 127)
    assert.throws(() => encodeControl(9, Buffer.alloc(126), false), RangeError)
    assert.throws(() => encodeControl(10, 'é'.repeat(63), false), RangeError)
  })

  test('frame parts: a large unmasked payload is not copied; the bytes are the same', () => {
    const big = Buffer.alloc(COPY_LIMIT, 7)
    const parts = encodeFrameParts(2, big, false)
    assert.equal(parts.length, 2)
    assert.equal(parts[1], big)
    assert.deepEqual(Buffer.concat(parts), encodeFrame(2, big, false))
    assert.equal(encodeFrameParts(2, Buffer.alloc(10), false).length, 1)
    assert.equal(encodeFrameParts(2, big, true).length, 1)
  })

  test('fragments: opcode then continuations, RSV1 on the first only, FIN on the last', () => {
    const frames = encodeFragments(1, 'abcdefg', 3, false, true)
    assert.deepEqual(frames.map((f) => f[0]), [0x41, 0x00, 0x80])
    assert.deepEqual(frames.map((f) => f.subarray(2).toString()), ['abc', 'def', 'g'])
    assert.throws(() => encodeFragments(1, 'a', 0, false), RangeError)
  })
})

describe('round trips through the parser', () => {
  const sizes = [0, 1, 125, 126, 65535, 65536, 100_000]

  test('client -> server (masked) and server -> client, binary and text', async () => {
    for (const size of sizes) {
      const bin = Buffer.alloc(size)
      for (let i = 0; i < size; i++) bin[i] = (i * 31) & 0xff
      const text = 'aé€😀'.repeat(Math.ceil(size / 10)).slice(0, size)
      const expected: Event[] = [['binary', bin.toString('hex')], ['text', text]]
      await expectEvents(Buffer.concat([encodeMessage(bin, true), encodeMessage(text, true)]), server, expected)
      await expectEvents(Buffer.concat([encodeMessage(bin, false), encodeMessage(text, false)]), client, expected)
    }
  })

  test('fragmented text with multi-byte characters cut between fragments', async () => {
    const text = '€😀é'.repeat(40)
    for (const size of [1, 2, 3, 5, 64]) {
      await expectEvents(Buffer.concat(encodeFragments(1, text, size, true)), server, [['text', text]])
    }
  })

  test('control frames and close', async () => {
    const bytes = Buffer.concat([encodeControl(9, 'ping!', true), encodeControl(10, Buffer.from([1, 2]), true), encodeClose(4001, 'done ✓', true)])
    await expectEvents(bytes, server, [['ping', Buffer.from('ping!').toString('hex')], ['pong', '0102'], ['close', 4001, 'done ✓']])
  })
})

test('applyMask equals a naive byte loop for every alignment, length and key', () => {
  const rand = prng(7)
  const backing = Buffer.alloc(300)
  for (let round = 0; round < 400; round++) {
    const start = Math.floor(rand() * 8)
    const length = Math.floor(rand() * 200)
    const keyOffset = Math.floor(rand() * 4)
    const key = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0].map(() => Math.floor(rand() * 256)))
    for (let i = 0; i < backing.length; i++) backing[i] = Math.floor(rand() * 256)
    const view = backing.subarray(start % 4, 280) // vary byteOffset alignment too
    const before = Buffer.from(view)
    applyMask(view, start, start + length, key, keyOffset)
    for (let i = 0; i < view.length; i++) {
      const inRange = i >= start && i < start + length
      const want = inRange ? before[i]! ^ key[keyOffset + ((i - start) & 3)]! : before[i]!
      assert.equal(view[i], want, `round ${round} byte ${i}`)
    }
  }
})
