// Byte-level tests of the frame parser: every case is fed whole, one byte at a time and in
// seeded random splits (expectEvents), and must report the same events each way.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { FrameParser } from '../../src/ws/index.ts'
import { Recorder, cframe, client, closePayload, expectEvents, frame, server, splits } from './helpers.ts'

const TEXT = 1
const BINARY = 2
const CLOSE = 8
const PING = 9
const PONG = 10

describe('frames that parse', () => {
  test('a masked text frame (server side) and an unmasked one (client side)', async () => {
    await expectEvents(cframe({ opcode: TEXT, payload: 'Hello' }), server, [['text', 'Hello']])
    await expectEvents(frame({ opcode: TEXT, payload: 'Hello' }), client, [['text', 'Hello']])
  })

  test('7-, 16- and 64-bit lengths, including non-minimal encodings', async () => {
    for (const size of [0, 1, 125, 126, 127, 65535, 65536, 70001]) {
      const payload = Buffer.alloc(size, size & 0xff)
      await expectEvents(cframe({ opcode: BINARY, payload }), server, [['binary', payload.toString('hex')]])
    }
    await expectEvents(cframe({ opcode: BINARY, payload: 'ab', lengthBits: 16 }), server, [['binary', '6162']])
    await expectEvents(cframe({ opcode: BINARY, payload: 'ab', lengthBits: 64 }), server, [['binary', '6162']])
  })

  test('fragmented message with control frames interleaved', async () => {
    const bytes = Buffer.concat([
      cframe({ opcode: TEXT, fin: false, payload: 'fra' }),
      cframe({ opcode: PING, payload: 'p1' }),
      cframe({ opcode: 0, fin: false, payload: 'gme' }),
      cframe({ opcode: PONG, payload: 'p2' }),
      cframe({ opcode: 0, fin: false, payload: '' }),
      cframe({ opcode: 0, fin: true, payload: 'nted' }),
      cframe({ opcode: BINARY, payload: Buffer.from([1, 2]) }),
    ])
    await expectEvents(bytes, server, [
      ['ping', '7031'],
      ['pong', '7032'],
      ['text', 'fragmented'],
      ['binary', '0102'],
    ])
  })

  test('a message of thousands of tiny fragments, mixed with big ones', async () => {
    const parts: Buffer[] = []
    const expected: Buffer[] = []
    for (let i = 0; i < 20_000; i++) {
      const payload = i % 5000 === 4999 ? Buffer.alloc(3000, i & 0xff) : Buffer.from([i & 0xff])
      expected.push(payload)
      parts.push(cframe({ opcode: i === 0 ? BINARY : 0, fin: i === 19_999, payload }))
    }
    const bytes = Buffer.concat(parts)
    for (const chunks of [[Buffer.from(bytes)], [Buffer.from(bytes.subarray(0, 1000)), Buffer.from(bytes.subarray(1000))]]) {
      const rec = new Recorder()
      const p = new FrameParser(rec, server)
      for (const c of chunks) p.push(c)
      assert.deepEqual(rec.events, [['binary', Buffer.concat(expected).toString('hex')]])
    }
  })

  test('empty messages, fragmented or not', async () => {
    const bytes = Buffer.concat([
      cframe({ opcode: TEXT }),
      cframe({ opcode: BINARY, fin: false }),
      cframe({ opcode: 0 }),
    ])
    await expectEvents(bytes, server, [['text', ''], ['binary', '']])
  })

  test('close frames: no payload is 1005, code and reason are reported, later bytes ignored', async () => {
    await expectEvents(Buffer.concat([cframe({ opcode: CLOSE }), cframe({ opcode: TEXT, payload: 'late' })]), server, [['close', 1005, '']])
    await expectEvents(Buffer.concat([cframe({ opcode: CLOSE, payload: closePayload(1000, 'bye ✓') }), Buffer.from([0xff, 0xff])]), server, [
      ['close', 1000, 'bye ✓'],
    ])
  })

  test('valid close codes', async () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
      await expectEvents(cframe({ opcode: CLOSE, payload: closePayload(code) }), server, [['close', code, '']])
    }
  })

  test('UTF-8 code points split across fragments are valid', async () => {
    const euro = Buffer.from('€') // e2 82 ac
    const emoji = Buffer.from('😀') // f0 9f 98 80
    const bytes = Buffer.concat([
      cframe({ opcode: TEXT, fin: false, payload: Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]) }),
      cframe({ opcode: PING }),
      cframe({ opcode: 0, fin: false, payload: Buffer.concat([euro.subarray(1), emoji.subarray(0, 1)]) }),
      cframe({ opcode: 0, fin: false, payload: emoji.subarray(1, 3) }),
      cframe({ opcode: 0, fin: true, payload: Buffer.concat([emoji.subarray(3), Buffer.from('z')]) }),
    ])
    await expectEvents(bytes, server, [['ping', ''], ['text', 'a€😀z']])
  })

  test('a frame that lies within one chunk is delivered as a view, not a copy', () => {
    // Buffer.alloc is never pooled, so sharing its ArrayBuffer means sharing its memory.
    const bytes = frame({ opcode: BINARY, payload: Buffer.alloc(300, 9) })
    const chunk = Buffer.alloc(bytes.length)
    bytes.copy(chunk)
    let got: Buffer | undefined
    class Keep extends Recorder {
      override onMessage(d: Buffer): void {
        got = d
      }
    }
    const p = new FrameParser(new Keep(), client)
    p.push(chunk)
    assert.ok(got !== undefined)
    assert.equal(got.buffer, chunk.buffer)
    assert.equal(got.byteOffset, chunk.byteOffset + 4)
  })
})

describe('protocol errors (1002)', () => {
  const cases: Array<[string, Buffer]> = [
    ['RSV1 without an extension', cframe({ opcode: TEXT, rsv: 0x40, payload: 'x' })],
    ['RSV2', cframe({ opcode: TEXT, rsv: 0x20, payload: 'x' })],
    ['RSV3', cframe({ opcode: TEXT, rsv: 0x10, payload: 'x' })],
    ['RSV on a control frame', cframe({ opcode: PING, rsv: 0x40 })],
    ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((op): [string, Buffer] => [`reserved opcode ${op}`, cframe({ opcode: op })]),
    ['a control frame above 125 bytes', cframe({ opcode: PING, payload: Buffer.alloc(126), lengthBits: 16 })],
    ['a control frame with 126 in the 7-bit length', Buffer.concat([Buffer.from([0x89, 0x80 | 126, 0, 126]), Buffer.alloc(4), Buffer.alloc(126)])],
    ['a fragmented control frame', cframe({ opcode: PING, fin: false })],
    ['a continuation with nothing to continue', cframe({ opcode: 0, payload: 'x' })],
    ['a new data frame inside a fragmented message', Buffer.concat([cframe({ opcode: TEXT, fin: false, payload: 'a' }), cframe({ opcode: BINARY, payload: 'b' })])],
    ['a new text frame inside a fragmented message', Buffer.concat([cframe({ opcode: BINARY, fin: false, payload: 'a' }), cframe({ opcode: TEXT, payload: 'b' })])],
    ['an unmasked frame sent to a server', frame({ opcode: TEXT, payload: 'x' })],
    ['a close payload of 1 byte', cframe({ opcode: CLOSE, payload: Buffer.from([3]) })],
    ['a 64-bit length with the top bit set', Buffer.from([0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1])],
  ]
  for (const [name, bytes] of cases) {
    test(name, async () => {
      await expectEvents(bytes, server, [['error', 1002]])
    })
  }

  test('a masked frame sent to a client', async () => {
    await expectEvents(cframe({ opcode: TEXT, payload: 'x' }), client, [['error', 1002]])
  })

  for (const code of [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
    test(`invalid close code ${code}`, async () => {
      await expectEvents(cframe({ opcode: CLOSE, payload: closePayload(code) }), server, [['error', 1002]])
    })
  }

  test('input after an error is ignored; messages before it are delivered', async () => {
    const bytes = Buffer.concat([cframe({ opcode: TEXT, payload: 'ok' }), cframe({ opcode: 3 }), cframe({ opcode: TEXT, payload: 'never' })])
    await expectEvents(bytes, server, [['text', 'ok'], ['error', 1002]])
  })
})

describe('invalid UTF-8 (1007)', () => {
  for (const [name, bytes] of [
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a surrogate', [0xed, 0xa0, 0x80]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a truncated sequence', [0x61, 0xe2, 0x82]],
  ] as const) {
    test(`in a text message: ${name}`, async () => {
      await expectEvents(cframe({ opcode: TEXT, payload: Buffer.from(bytes) }), server, [['error', 1007]])
    })
  }

  test('in a close reason', async () => {
    await expectEvents(cframe({ opcode: CLOSE, payload: Buffer.from([0x03, 0xe8, 0xff]) }), server, [['error', 1007]])
  })

  test('detected on the fragment that makes the message invalid, before the message ends', async () => {
    // The second fragment starts a 3-byte sequence with a byte that cannot follow E0.
    const bytes = Buffer.concat([
      cframe({ opcode: TEXT, fin: false, payload: 'valid ' }),
      cframe({ opcode: 0, fin: false, payload: Buffer.from([0x41, 0xe0]) }),
      cframe({ opcode: 0, fin: false, payload: Buffer.from([0x80]) }),
    ])
    // The first two fragments are fine on their own (E0 may still be completed)...
    const firstTwo = bytes.subarray(0, bytes.length - cframe({ opcode: 0, fin: false, payload: Buffer.from([0x80]) }).length)
    await expectEvents(firstTwo, server, [])
    // ...the third fragment makes it invalid, although the message has not ended.
    await expectEvents(bytes, server, [['error', 1007]])
  })

  test('a message that ends inside a code point', async () => {
    const bytes = Buffer.concat([cframe({ opcode: TEXT, fin: false, payload: 'a' }), cframe({ opcode: 0, payload: Buffer.from([0xf0, 0x9f]) })])
    await expectEvents(bytes, server, [['error', 1007]])
  })

  test('binary messages are not checked', async () => {
    await expectEvents(cframe({ opcode: BINARY, payload: Buffer.from([0xff, 0xfe]) }), server, [['binary', 'fffe']])
  })
})

describe('too large (1009), decided from the header', () => {
  /** Feeds only the header (in every split) and expects the error without any payload byte. */
  async function headerOnly(header: Buffer, maxPayload: number, before: Buffer = Buffer.alloc(0)): Promise<void> {
    for (const split of splits(Buffer.concat([before, header]))) {
      const rec = new Recorder()
      const p = new FrameParser(rec, { role: 'server', maxPayload })
      for (const c of split.chunks) p.push(c)
      assert.deepEqual(rec.events.at(-1), ['error', 1009], split.name)
      assert.equal(p.bufferedAmount, 0)
      assert.ok(p.stopped)
    }
  }

  test('a 16-bit length above the limit', async () => {
    await headerOnly(Buffer.from([0x82, 0x80 | 126, 0x01, 0x00]), 255)
  })

  test('a 64-bit length above the limit (the payload never arrives)', async () => {
    await headerOnly(Buffer.from([0x82, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0]), 1024 * 1024)
  })

  test('a 64-bit length above 2^53 - 1, even without a limit', async () => {
    await headerOnly(Buffer.from([0x82, 0x80 | 127, 0x00, 0x20, 0, 0, 0, 0, 0, 0]), Infinity)
  })

  test('the running size of a fragmented message', async () => {
    const first = cframe({ opcode: BINARY, fin: false, payload: Buffer.alloc(60) })
    // 60 + 50 > 100: refused from the continuation's header.
    await headerOnly(Buffer.from([0x80, 0x80 | 50]), 100, first)
  })

  test('exactly the limit is fine', async () => {
    await expectEvents(cframe({ opcode: BINARY, payload: Buffer.alloc(100, 1) }), { role: 'server', maxPayload: 100 }, [['binary', '01'.repeat(100)]])
  })

  test('control frames do not count towards a message', async () => {
    const bytes = Buffer.concat([
      cframe({ opcode: BINARY, fin: false, payload: Buffer.alloc(5, 1) }),
      cframe({ opcode: PING, payload: Buffer.alloc(10, 2) }),
      cframe({ opcode: 0, payload: Buffer.alloc(5, 3) }),
    ])
    await expectEvents(bytes, { role: 'server', maxPayload: 10 }, [['ping', '02'.repeat(10)], ['binary', '01'.repeat(5) + '03'.repeat(5)]])
  })
})

test('a handler may stop the parser from inside a callback', () => {
  class Stopper extends Recorder {
    override onMessage(d: Buffer, binary: boolean): void {
      super.onMessage(d, binary)
      p.stop()
    }
  }
  const rec = new Stopper()
  const p: FrameParser = new FrameParser(rec, server)
  p.push(Buffer.concat([cframe({ opcode: TEXT, payload: 'one' }), cframe({ opcode: TEXT, payload: 'two' })]))
  assert.deepEqual(rec.events, [['text', 'one']])
})
