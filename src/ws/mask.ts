// Masking (RFC 6455 section 5.3): payload byte i is XORed with key[i % 4]. Applying the mask
// twice restores the data, so this one function both masks and unmasks.

/** Below this many bytes the byte loop beats setting up a 32-bit view. */
const WORD_LOOP_MIN = 64

// Scratch space to build a 32-bit mask word in platform byte order without caring which it is.
const scratch = new Uint8Array(4)
const scratchWord = new Uint32Array(scratch.buffer)

/**
 * XORs `buf[start, end)` in place with the 4-byte key at `key[keyOffset]`. The middle of the
 * range runs as a 32-bit word loop over the aligned part of the buffer (4x fewer iterations
 * than bytes, no native addon); the unaligned head and the tail run byte by byte.
 */
export function applyMask(buf: Uint8Array, start: number, end: number, key: Uint8Array, keyOffset: number): void {
  const length = end - start
  if (length < WORD_LOOP_MIN) {
    for (let i = 0; i < length; i++) buf[start + i] ^= key[keyOffset + (i & 3)]!
    return
  }
  // A Uint32Array view needs a 4-byte aligned offset, so the head runs bytewise to the boundary.
  const misaligned = (buf.byteOffset + start) & 3
  const head = misaligned === 0 ? 0 : 4 - misaligned
  for (let i = 0; i < head; i++) buf[start + i] ^= key[keyOffset + (i & 3)]!
  // The word loop starts at payload index `head`, so the key is rotated by that much.
  for (let j = 0; j < 4; j++) scratch[j] = key[keyOffset + ((head + j) & 3)]!
  const word = scratchWord[0]!
  const words = (length - head) >>> 2
  const view = new Uint32Array(buf.buffer, buf.byteOffset + start + head, words)
  for (let w = 0; w < words; w++) view[w] ^= word
  for (let i = head + words * 4; i < length; i++) buf[start + i] ^= key[keyOffset + (i & 3)]!
}
