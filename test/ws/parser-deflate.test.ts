// The frame parser with permessage-deflate: compressed frames (fed whole, bytewise and in random
// splits), RSV1 rules, UTF-8 across compressed fragments, and the limit on the inflated size.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as zlib from 'node:zlib'
import { FrameParser, PerMessageDeflate, encodeFrame, type DeflateParams, type FrameParserOptions } from '../../src/ws/index.ts'
import { Recorder, cframe, expectEvents } from './helpers.ts'
import { compress, pair } from './deflate-helpers.ts'

const PARAMS: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }

/** A fresh server-side context per run: inflaters keep state across messages. */
function withDeflate(maxPayload?: number): () => FrameParserOptions {
  return () => ({ role: 'server', inflater: new PerMessageDeflate('server', PARAMS), ...(maxPayload === undefined ? {} : { maxPayload }) })
}

/** Compresses the parts of one message with a client context, as the client would send them. */
async function compressedParts(parts: Array<Buffer | string>, client = pair().client): Promise<Buffer[]> {
  const out: Buffer[] = []
  for (let i = 0; i < parts.length; i++) out.push(await compress(client, parts[i]!, i === parts.length - 1))
  return out
}

test('compressed messages, with context takeover across messages, and uncompressed ones mixed in', async () => {
  const { client } = pair()
  const text = 'hello hello hello hello '.repeat(10)
  const [a] = await compressedParts([text], client)
  const [b] = await compressedParts([text], client) // refers back to the first
  const bytes = Buffer.concat([
    encodeFrame(1, a!, true, true, true),
    encodeFrame(2, Buffer.from([1, 2, 3]), true), // RSV1 clear: not compressed
    encodeFrame(9, 'p', true),
    encodeFrame(1, b!, true, true, true),
  ])
  await expectEvents(bytes, withDeflate(), [['text', text], ['binary', '010203'], ['ping', '70'], ['text', text]])
})

test('a fragmented compressed message with a control frame in between; RSV1 on the first frame only', async () => {
  const [p1, p2, p3] = await compressedParts(['first part ', 'second part ', 'third'])
  const bytes = Buffer.concat([
    encodeFrame(2, p1!, true, false, true),
    encodeFrame(10, 'x', true),
    encodeFrame(0, p2!, true, false, false),
    encodeFrame(0, p3!, true, true, false),
    encodeFrame(1, 'after', true),
  ])
  await expectEvents(bytes, withDeflate(), [['pong', '78'], ['binary', Buffer.from('first part second part third').toString('hex')], ['text', 'after']])
})

test('RSV1 on a continuation frame is a protocol error even with permessage-deflate', async () => {
  const [p1, p2] = await compressedParts(['a', 'b'])
  const bytes = Buffer.concat([encodeFrame(1, p1!, true, false, true), encodeFrame(0, p2!, true, true, true)])
  await expectEvents(bytes, withDeflate(), [['error', 1002]])
})

test('RSV1 on a control frame is a protocol error with permessage-deflate', async () => {
  await expectEvents(cframe({ opcode: 9, rsv: 0x40 }), withDeflate(), [['error', 1002]])
})

test('a code point split across compressed fragments is valid; invalid UTF-8 inside is 1007', async () => {
  const euro = Buffer.from('€')
  const good = await compressedParts([Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]), Buffer.concat([euro.subarray(2), Buffer.from('b')])])
  await expectEvents(Buffer.concat([encodeFrame(1, good[0]!, true, false, true), encodeFrame(0, good[1]!, true, true)]), withDeflate(), [['text', 'a€b']])

  // Invalid in the first fragment: reported before the message ends (no final frame sent).
  const bad = await compressedParts([Buffer.from([0x61, 0xed, 0xa0, 0x80]), 'rest'])
  await expectEvents(encodeFrame(1, bad[0]!, true, false, true), withDeflate(), [['error', 1007]])
})

test('corrupt compressed data is 1007', async () => {
  await expectEvents(encodeFrame(2, Buffer.from([0xff, 0xff, 0xff]), true, true, true), withDeflate(), [['error', 1007]])
})

test('the limit applies to the inflated size, across fragments', async () => {
  const [small] = await compressedParts([Buffer.alloc(1000)])
  assert.ok(small!.length < 100)
  // 1000 bytes inflated against a limit of 999: refused although the frame is tiny.
  await expectEvents(encodeFrame(2, small!, true, true, true), withDeflate(999), [['error', 1009]])
  await expectEvents(encodeFrame(2, small!, true, true, true), withDeflate(1000), [['binary', '00'.repeat(1000)]])
  const [f1, f2] = await compressedParts([Buffer.alloc(600), Buffer.alloc(600)])
  await expectEvents(Buffer.concat([encodeFrame(2, f1!, true, false, true), encodeFrame(0, f2!, true, true)]), withDeflate(1000), [['error', 1009]])
})

test('a compressed frame far above the limit is refused from its header', () => {
  const rec = new Recorder()
  const parser = new FrameParser(rec, withDeflate(1000)())
  // RSV1 + binary, masked, 16-bit length 60000: no sane deflate stream that long inflates to 1000.
  parser.push(Buffer.from([0xc2, 0x80 | 126, 0xea, 0x60]))
  assert.deepEqual(rec.events, [['error', 1009]])
})

test('a bomb in a frame: 1009 without inflating it all, and nothing after it is parsed', async () => {
  const bomb = zlib.deflateRawSync(Buffer.alloc(32 * 1024 * 1024), { level: 9 })
  const inflater = new PerMessageDeflate('server', PARAMS)
  const rec = new Recorder()
  const parser = new FrameParser(rec, { role: 'server', inflater, maxPayload: 1024 * 1024 })
  parser.push(Buffer.concat([encodeFrame(2, bomb, true, true, true), encodeFrame(1, 'after', true)]))
  while (parser.inflating) await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(rec.events, [['error', 1009]])
  assert.ok(inflater.lastInflatedSize <= 1024 * 1024 + 64 * 1024, `inflated ${inflater.lastInflatedSize}`)
  inflater.close()
})

test('bytes that arrive while inflating are kept and parsed afterwards, in order', async () => {
  const [c] = await compressedParts(['compressed first'])
  const rec = new Recorder()
  const parser = new FrameParser(rec, withDeflate()())
  parser.push(encodeFrame(1, c!, true, true, true))
  assert.equal(parser.inflating, true)
  parser.push(encodeFrame(1, 'plain second', true))
  parser.push(encodeFrame(8, Buffer.from([0x03, 0xe8]), true))
  assert.deepEqual(rec.events, [])
  while (parser.inflating) await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(rec.events, [['text', 'compressed first'], ['text', 'plain second'], ['close', 1000, '']])
})
