// The incremental UTF-8 validator: tables of valid and invalid sequences at every split point,
// and random byte strings checked against node:buffer's isUtf8.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isUtf8 } from 'node:buffer'
import { Utf8Validator, isValidUtf8 } from '../../src/ws/index.ts'
import { prng } from './helpers.ts'

const VALID: number[][] = [
  [],
  [0x41],
  [0xc2, 0x80], // U+0080
  [0xdf, 0xbf],
  [0xe0, 0xa0, 0x80], // U+0800
  [0xed, 0x9f, 0xbf], // U+D7FF, last before the surrogates
  [0xee, 0x80, 0x80], // U+E000, first after them
  [0xef, 0xbf, 0xbf],
  [0xf0, 0x90, 0x80, 0x80], // U+10000
  [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
  [...Buffer.from('κόσμε €😀 plain ascii')],
]

const INVALID: number[][] = [
  [0x80],
  [0xbf],
  [0xc0, 0x80], // overlong
  [0xc1, 0xbf],
  [0xe0, 0x9f, 0xbf], // overlong 3-byte
  [0xed, 0xa0, 0x80], // surrogate U+D800
  [0xed, 0xbf, 0xbf],
  [0xf0, 0x8f, 0xbf, 0xbf], // overlong 4-byte
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf5, 0x80, 0x80, 0x80],
  [0xff],
  [0xc2], // truncated
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc2, 0x41],
  [0x41, 0xe2, 0x28, 0xa1],
]

function viaValidator(bytes: Uint8Array, cuts: number[]): boolean {
  const v = new Utf8Validator()
  let prev = 0
  for (const cut of [...cuts, bytes.length]) {
    if (!v.write(bytes, prev, cut)) {
      v.reset()
      return false
    }
    prev = cut
  }
  return v.end()
}

test('valid and invalid sequences, whole and cut at every point, with padding around them', () => {
  for (const [list, expected] of [
    [VALID, true],
    [INVALID, false],
  ] as const) {
    for (const seq of list) {
      // Padding makes runs long enough for the native fast path in the middle of a chunk.
      for (const pad of [0, 70]) {
        const bytes = Buffer.from([...Array(pad).fill(0x61), ...seq, ...Array(pad).fill(0x62)])
        assert.equal(isValidUtf8(bytes), expected, `whole ${Buffer.from(seq).toString('hex')} pad ${pad}`)
        for (let cut = 0; cut <= bytes.length; cut++) {
          assert.equal(viaValidator(bytes, [cut]), expected, `${Buffer.from(seq).toString('hex')} pad ${pad} cut at ${cut}`)
        }
      }
    }
  }
})

test('invalid input fails on the chunk that makes it invalid, not later', () => {
  const v = new Utf8Validator()
  assert.equal(v.write(Buffer.from([0x61, 0xe0]), 0, 2), true) // E0 may still become valid
  assert.equal(v.write(Buffer.from([0x80]), 0, 1), false) // E0 80 is overlong
  const w = new Utf8Validator()
  assert.equal(w.write(Buffer.from([0xf4]), 0, 1), true)
  assert.equal(w.write(Buffer.from([0x90]), 0, 1), false) // above U+10FFFF already
})

test('random byte strings in random splits agree with isUtf8', () => {
  const rand = prng(99)
  const chars = ['a', 'é', '€', '😀', '\u{10ffff}', '\ud7ff'].map((c) => [...Buffer.from(c)])
  let valid = 0
  for (let round = 0; round < 3000; round++) {
    // Whole characters, with a random byte now and then (or none, for about half the rounds).
    const noise = round % 2 === 0 ? 0 : 0.01
    const list: number[] = []
    const count = Math.floor(rand() * 80)
    for (let i = 0; i < count; i++) {
      if (rand() < noise) list.push(Math.floor(rand() * 256))
      else list.push(...chars[Math.floor(rand() * chars.length)]!)
    }
    const bytes = Buffer.from(list)
    const length = bytes.length
    if (isUtf8(bytes)) valid++
    const cuts: number[] = []
    for (let c = 0; c < 5; c++) cuts.push(Math.floor(rand() * (length + 1)))
    cuts.sort((a, b) => a - b)
    assert.equal(viaValidator(bytes, cuts), isUtf8(bytes), `round ${round}: ${bytes.toString('hex')} cuts ${cuts}`)
  }
  // Both outcomes must be well represented for the comparison to mean anything.
  assert.ok(valid > 1000 && valid < 2900, `valid ${valid}`)
})
