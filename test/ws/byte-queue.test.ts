// The parser's input queue against a plain reference, with chunks small and large, reads of
// single bytes and of spans, and earlier views checked to stay intact as more bytes arrive.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ByteQueue } from '../../src/ws/byte-queue.ts'
import { prng } from './helpers.ts'

test('reads return the pushed bytes in order, whatever the chunk sizes', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rand = prng(seed)
    const q = new ByteQueue()
    let written = 0
    let read = 0
    const source = (i: number): number => (i * 131 + seed) & 0xff
    const taken: Array<[Buffer, Buffer]> = []
    for (let step = 0; step < 3000; step++) {
      if (rand() < 0.5) {
        const r = rand()
        const size = r < 0.7 ? 1 + Math.floor(rand() * 20) : r < 0.9 ? 1 + Math.floor(rand() * 1500) : 1 + Math.floor(rand() * 20_000)
        const chunk = Buffer.alloc(size)
        for (let i = 0; i < size; i++) chunk[i] = source(written + i)
        q.push(chunk)
        written += size
      } else if (q.length > 0) {
        if (rand() < 0.3) {
          assert.equal(q.readByte(), source(read), `seed ${seed} step ${step}`)
          read++
        } else {
          const n = 1 + Math.floor(rand() * Math.min(q.length, 30_000))
          const out = q.take(n)
          const want = Buffer.alloc(n)
          for (let i = 0; i < n; i++) want[i] = source(read + i)
          assert.deepEqual(out, want, `seed ${seed} step ${step}`)
          taken.push([out, want])
          read += n
        }
      }
      assert.equal(q.length, written - read)
    }
    // Views handed out earlier were never overwritten by later pushes into a shared block.
    for (const [out, want] of taken) assert.deepEqual(out, want)
  }
})
