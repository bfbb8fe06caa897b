// permessage-deflate compression: round trips with and without context takeover, window bits,
// the threshold, the concurrency bound, and bomb inflation stopping at the limit.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import * as zlib from 'node:zlib'
import { PerMessageDeflate, ZlibLimiter, deflateMessage, type WebSocketError } from '../../src/ws/index.ts'
import { prng } from './helpers.ts'
import { compress, decompress, pair } from './deflate-helpers.ts'

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(20)

describe('round trips', () => {
  test('client -> server and server -> client', async () => {
    const { client, server } = pair()
    for (let i = 0; i < 3; i++) {
      assert.equal((await decompress(server, await compress(client, TEXT))).toString(), TEXT)
      assert.equal((await decompress(client, await compress(server, TEXT + i))).toString(), TEXT + i)
    }
    client.close()
    server.close()
  })

  test('the trailer 00 00 ff ff is removed from the sent payload', async () => {
    const { client } = pair()
    const out = await compress(client, TEXT)
    assert.notDeepEqual(out.subarray(-4), Buffer.from([0, 0, 0xff, 0xff]))
    // Put back, it is a valid sync-flushed raw deflate stream.
    assert.equal(zlib.inflateRawSync(Buffer.concat([out, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString(), TEXT)
    client.close()
  })

  test('with context takeover, a repeated message compresses to less (it refers to the previous one)', async () => {
    const { client, server } = pair()
    const first = await compress(client, TEXT)
    const second = await compress(client, TEXT)
    assert.ok(second.length < first.length / 2, `${second.length} vs ${first.length}`)
    assert.equal((await decompress(server, first)).toString(), TEXT)
    assert.equal((await decompress(server, second)).toString(), TEXT)
    client.close()
    server.close()
  })

  test('without context takeover, each message compresses alone (same bytes each time)', async () => {
    for (const config of [{ clientNoContextTakeover: true }, { serverNoContextTakeover: true }]) {
      const { client, server } = pair(config)
      const [sender, receiver] = config.clientNoContextTakeover ? [client, server] : [server, client]
      const first = await compress(sender, TEXT)
      const second = await compress(sender, TEXT)
      assert.deepEqual(second, first)
      // A fresh inflater decodes the second alone: it refers to nothing before it.
      const { client: c2, server: s2 } = pair(config)
      const fresh = config.clientNoContextTakeover ? s2 : c2
      assert.equal((await decompress(fresh, second)).toString(), TEXT)
      assert.equal((await decompress(receiver, first)).toString(), TEXT)
      assert.equal((await decompress(receiver, second)).toString(), TEXT)
      for (const p of [client, server, c2, s2]) p.close()
    }
  })

  test('a fragmented message: fragments compressed and inflated in order', async () => {
    const { client, server } = pair()
    const parts = ['part one, ', 'part two, ', 'and the end']
    const compressed: Buffer[] = []
    for (let i = 0; i < parts.length; i++) compressed.push(await compress(client, parts[i]!, i === parts.length - 1))
    const out: Buffer[] = []
    for (let i = 0; i < compressed.length; i++) out.push(await decompress(server, compressed[i]!, i === compressed.length - 1))
    assert.equal(Buffer.concat(out).toString(), parts.join(''))
    client.close()
    server.close()
  })

  test('an empty message', async () => {
    const { client, server } = pair()
    const out = await compress(client, Buffer.alloc(0))
    assert.equal((await decompress(server, out)).length, 0)
    assert.equal((await decompress(server, Buffer.alloc(0))).length, 0)
    client.close()
    server.close()
  })

  test('jobs queued on one connection complete in order', async () => {
    const { client, server } = pair()
    const messages = Array.from({ length: 20 }, (_, i) => `${i} `.repeat(50 + i))
    const compressed = await Promise.all(messages.map((m) => compress(client, m)))
    const inflated = await Promise.all(compressed.map((c) => decompress(server, c)))
    assert.deepEqual(inflated.map(String), messages)
    client.close()
    server.close()
  })

  test('deflateMessage (for broadcasts) is decodable by a receiver with or without context', async () => {
    const { client, server } = pair({}, { serverNoContextTakeover: true })
    const once = await new Promise<Buffer>((resolve, reject) => deflateMessage(TEXT, 15, {}, (e, out) => (e ? reject(e) : resolve(out!))))
    assert.equal((await decompress(client, once)).toString(), TEXT)
    assert.equal((await decompress(client, await compress(server, 'after'))).toString(), 'after')
    assert.equal((await decompress(client, once)).toString(), TEXT)
    client.close()
    server.close()
  })
})

describe('window bits, threshold, limits', () => {
  test('the negotiated window is honoured: an inflater with that window decodes the output', async () => {
    // Random 2000-byte block twice: a 15-bit window refers 2000 bytes back, a 9-bit one cannot.
    const rand = prng(5)
    const block = Buffer.from(Array.from({ length: 2000 }, () => Math.floor(rand() * 256)))
    const data = Buffer.concat([block, block])
    const sync = zlib.constants.Z_SYNC_FLUSH
    const wide = zlib.deflateRawSync(data, { windowBits: 15 })
    // Small output chunks: zlib can refer back into one big output buffer whatever its window.
    assert.throws(() => zlib.inflateRawSync(wide, { windowBits: 9, chunkSize: 64 }), /distance too far back/, 'sanity: a 9-bit inflater fails on a 15-bit stream')
    const { client } = pair({ clientMaxWindowBits: 9 })
    assert.equal(client.params.clientMaxWindowBits, 9)
    const out = await compress(client, data)
    assert.deepEqual(zlib.inflateRawSync(Buffer.concat([out, Buffer.from([0, 0, 0xff, 0xff])]), { windowBits: 9, chunkSize: 64, finishFlush: sync }), data)
    client.close()
  })

  test('a negotiated window of 8 bits means sending uncompressed', () => {
    const { client, server } = pair({ serverMaxWindowBits: 8 })
    assert.equal(server.canCompress, false)
    assert.equal(server.shouldCompress(100_000), false)
    assert.equal(client.canCompress, true)
    client.close()
    server.close()
  })

  test('threshold', () => {
    const pmd = new PerMessageDeflate('server', { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 })
    assert.equal(pmd.threshold, 1024)
    assert.equal(pmd.shouldCompress(1023), false)
    assert.equal(pmd.shouldCompress(1024), true)
    const custom = new PerMessageDeflate('server', pmd.params, { threshold: 10 })
    assert.equal(custom.shouldCompress(10), true)
  })

  test('a bomb stops inflating soon after the limit (1009), not at the end', async () => {
    const total = 64 * 1024 * 1024
    const bomb = zlib.deflateRawSync(Buffer.alloc(total), { level: 9 })
    const limit = 1024 * 1024
    const { client, server } = pair()
    const err = await decompress(server, bomb, true, limit).then(
      () => null,
      (e: WebSocketError) => e,
    )
    assert.equal(err?.closeCode, 1009)
    assert.ok(server.lastInflatedSize > limit, 'it crossed the limit')
    // zlib stops after the output chunk in progress: far below the 64 MiB the bomb holds.
    assert.ok(server.lastInflatedSize <= limit + 64 * 1024, `inflated ${server.lastInflatedSize} bytes`)
    // The inflater is unusable afterwards (the connection is being failed).
    await assert.rejects(decompress(server, Buffer.alloc(0)))
    client.close()
    server.close()
  })

  test('invalid compressed data fails with 1007', async () => {
    const { client, server } = pair()
    const err = await decompress(server, Buffer.from([0xff, 0xff, 0xff, 0xff])).then(
      () => null,
      (e: WebSocketError) => e,
    )
    assert.equal(err?.closeCode, 1007)
    client.close()
    server.close()
  })

  test('close() fails pending jobs and frees the streams', async () => {
    const { client, server } = pair()
    const pending = compress(client, TEXT)
    client.close()
    await assert.rejects(pending, (e: WebSocketError) => e.closeCode === 1006)
    await assert.rejects(compress(client, TEXT))
    server.close()
  })

  test('the concurrency bound holds across connections', async () => {
    class Counting extends ZlibLimiter {
      max = 0
      override acquire(start: () => void): void {
        super.acquire(() => {
          this.max = Math.max(this.max, this.active)
          start()
        })
      }
    }
    const limiter = new Counting(2)
    const pairs = Array.from({ length: 12 }, () => pair({}, {}, limiter))
    const results = await Promise.all(pairs.map(({ client }, i) => compress(client, TEXT + i)))
    assert.equal(limiter.max, 2)
    assert.equal(limiter.active, 0)
    assert.equal(limiter.pending, 0)
    for (let i = 0; i < pairs.length; i++) assert.equal((await decompress(pairs[i]!.server, results[i]!)).toString(), TEXT + i)
    for (const p of pairs) {
      p.client.close()
      p.server.close()
    }
  })
})
