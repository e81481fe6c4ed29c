/**
 * The 64-bit hash of one 4 KiB page, as two 32-bit lanes that both read every word with
 * different multipliers and mix at the end. It is what a page record carries for each page
 * (the destination checks it on arrival: a page corrupted in transit is refused by number) and
 * what the proof compares at the end. Not cryptographic: it finds accidents (a lost write, a
 * flipped bit), not an adversary, who could as well forge the stream. About 1 GB/s in V8.
 */
import { ABI } from '../layout.ts';

export const PAGE_WORDS = ABI.PAGE_SIZE / 4;

/** Hash the page at word `at` of `words` into out[o] and out[o + 1]. */
export function hashPage(words: Uint32Array, at: number, out: Uint32Array, o: number): void {
  let a = 0x243f6a88;
  let b = 0x85a308d3;
  for (let i = at, end = at + PAGE_WORDS; i < end; i++) {
    const w = words[i]!;
    a = Math.imul(a ^ w, 0x9e3779b1);
    a ^= a >>> 16;
    b = Math.imul(b + w, 0x85ebca77);
    b ^= b >>> 13;
  }
  a = Math.imul(a ^ (b >>> 15), 0xc2b2ae3d);
  b = Math.imul(b ^ (a >>> 16), 0x27d4eb2f);
  out[o] = a >>> 0;
  out[o + 1] = (b ^ (b >>> 16)) >>> 0;
}

/** A Uint32Array over the same bytes; `bytes` must start on a 4-byte boundary. */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 !== 0) throw new RangeError(`bytes must start on a 4-byte boundary, got byte offset ${bytes.byteOffset}`);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
}
