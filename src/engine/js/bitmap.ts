/**
 * The bitmap half of the js engine: the same semantics as assembly/bitmap.ts, on 32-bit
 * words. A 64-bit little-endian word is two 32-bit little-endian words in the same bytes,
 * and every operation here is per bit, so the two engines agree bit for bit.
 */
import { ABI } from '../../layout.ts';
import { SLOT_WORD, popcount32, type Views } from './views.ts';

export function makeBitmapOps({ u8, u32 }: Views) {
  /** First nonzero 64-bit word in [i, n), or n. */
  function nextNonzeroWord(bitmap: number, i: number, n: number): number {
    const w = bitmap >>> 2;
    for (; i < n; i++) if ((u32[w + 2 * i]! | u32[w + 2 * i + 1]!) !== 0) return i;
    return n;
  }

  function bitmapFill(bitmap: number, npages: number, ones: boolean | number): void {
    const full = npages >>> 5;
    const w = bitmap >>> 2;
    u32.fill(ones ? 0xffffffff : 0, w, w + full);
    const tail = npages & 31;
    let next = w + full;
    if (tail !== 0) u32[next++] = ones ? ((1 << tail) >>> 0) - 1 : 0;
    if (next & 1) u32[next] = 0; // the rest of the last 64-bit word
  }

  function bitmapCount(bitmap: number, npages: number): number {
    const w = bitmap >>> 2;
    const end = w + 2 * Math.ceil(npages / 64);
    let count = 0;
    for (let i = w; i < end; i++) if (u32[i] !== 0) count += popcount32(u32[i]!);
    return count;
  }

  /** OR a 64-bit mask (two halves) in at page `base`; it may span three 32-bit words. */
  function orMask32(bitmap: number, base: number, hi: number, lo: number): void {
    const w = (bitmap >>> 2) + (base >>> 5);
    const sh = base & 31;
    if (sh === 0) {
      if (lo) Atomics.or(u32, w, lo);
      if (hi) Atomics.or(u32, w + 1, hi);
      return;
    }
    const w0 = (lo << sh) >>> 0;
    const w1 = ((lo >>> (32 - sh)) | (hi << sh)) >>> 0;
    const w2 = hi >>> (32 - sh);
    if (w0) Atomics.or(u32, w, w0);
    if (w1) Atomics.or(u32, w + 1, w1);
    if (w2) Atomics.or(u32, w + 2, w2);
  }

  function orMask(bitmap: number, base: number, mask: bigint): void {
    orMask32(bitmap, base, Number((mask >> 32n) & 0xffffffffn), Number(mask & 0xffffffffn));
  }

  function getDirtyLog(desc: number): number {
    const n32 = 2 * Math.ceil(u32[(desc >>> 2) + SLOT_WORD.npages]! / 64);
    const dirty = u32[(desc >>> 2) + SLOT_WORD.dirty]! >>> 2;
    const armed = u32[(desc >>> 2) + SLOT_WORD.armed]! >>> 2;
    const snap = u32[(desc >>> 2) + SLOT_WORD.snapshot]! >>> 2;
    const rearmed = Atomics.load(u32, (desc >>> 2) + SLOT_WORD.rearmed) >>> 2; // the verifier's record (content mode)
    u32.fill(0, snap, snap + n32);
    let count = 0;
    for (let i = 0; i < n32; i++) {
      if (u32[dirty + i] === 0) continue;
      const old = Atomics.exchange(u32, dirty + i, 0);
      u32[snap + i] = old;
      Atomics.or(u32, armed + i, old);
      if (rearmed !== 0) Atomics.or(u32, rearmed + i, old);
      count += popcount32(old);
    }
    return count;
  }

  function getDirtyLogManual(desc: number): number {
    const npages = u32[(desc >>> 2) + SLOT_WORD.npages]!;
    const bytes = 8 * Math.ceil(npages / 64);
    const dirty = u32[(desc >>> 2) + SLOT_WORD.dirty]!;
    const snap = u32[(desc >>> 2) + SLOT_WORD.snapshot]!;
    u8.copyWithin(snap, dirty, dirty + bytes);
    return bitmapCount(snap, npages);
  }

  function clearDirtyLog(desc: number, first: number, num: number): number {
    const npages = u32[(desc >>> 2) + SLOT_WORD.npages]!;
    if (first % 64 !== 0) return ABI.CLEAR_EINVAL_FIRST_PAGE;
    const end = first + num;
    if (end > npages) return ABI.CLEAR_EINVAL_RANGE;
    if (num % 64 !== 0 && end !== npages) return ABI.CLEAR_EINVAL_NUM_PAGES;
    const dirty = u32[(desc >>> 2) + SLOT_WORD.dirty]! >>> 2;
    const armed = u32[(desc >>> 2) + SLOT_WORD.armed]! >>> 2;
    const arg = u32[(desc >>> 2) + SLOT_WORD.clearArg]! >>> 2;
    const rearmedLog = Atomics.load(u32, (desc >>> 2) + SLOT_WORD.rearmed) >>> 2;
    const w0 = first >>> 5;
    const n32 = 2 * (Math.ceil(end / 64) - first / 64);
    const endWord = end >>> 5; // 32-bit word holding page `end`, relative to the slot
    let rearmed = 0;
    for (let j = 0; j < n32; j++) {
      let mask = u32[arg + j]!;
      if (mask === 0) continue;
      const sw = w0 + j;
      if (sw > endWord || (sw === endWord && (end & 31) === 0)) continue; // past the range end
      if (sw === endWord) mask &= ((1 << (end & 31)) >>> 0) - 1;
      const old = Atomics.and(u32, dirty + sw, ~mask >>> 0);
      const cleared = (old & mask) >>> 0;
      if (cleared !== 0) {
        Atomics.or(u32, armed + sw, cleared);
        if (rearmedLog !== 0) Atomics.or(u32, rearmedLog + sw, cleared);
        rearmed += popcount32(cleared);
      }
    }
    return rearmed;
  }

  /** Clear a page's armed bit; true if this caller disarmed it. */
  function testAndDisarm(armed: number, page: number): boolean {
    const w = (armed >>> 2) + (page >>> 5);
    const bit = (1 << (page & 31)) >>> 0;
    if ((Atomics.load(u32, w) & bit) === 0) return false;
    return (Atomics.and(u32, w, ~bit >>> 0) & bit) !== 0;
  }

  function setBit(bitmap: number, page: number): void {
    Atomics.or(u32, (bitmap >>> 2) + (page >>> 5), (1 << (page & 31)) >>> 0);
  }

  return {
    nextNonzeroWord, bitmapFill, bitmapCount, orMask, orMask32, getDirtyLog, getDirtyLogManual,
    clearDirtyLog, testAndDisarm, setBit,
  };
}

export type BitmapOps = ReturnType<typeof makeBitmapOps>;
