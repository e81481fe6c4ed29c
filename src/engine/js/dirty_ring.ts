/**
 * The ring half of the js engine: assembly/dirty_ring.ts on typed arrays. Offsets are
 * untrusted u64s, so the reset keeps them, and its 64-bit mask, as (hi, lo) halves and falls
 * back to BigInt only when an offset does not fit 32 bits.
 */
import { ABI } from '../../layout.ts';
import type { BitmapOps } from './bitmap.ts';
import { makeGfnOps } from './dirty_gfn.ts';
import { makeIndexOps } from './ring_index.ts';
import { SLOT_WORD, VCPU_WORD, VM_BASE, VM_WORD, popcount32, type Views } from './views.ts';

export function makeRingOps({ u32 }: Views, bitmaps: BitmapOps) {
  const { gfnFlags, gfnSlot, gfnOffsetLo, gfnOffsetHi, gfnMarkDirty, gfnMarkHarvested, gfnMarkReset } = makeGfnOps(u32);
  const { gfnWritePayload, indexPublishAvail, indexAvail, indexOwnFetch, indexPublishFetch, indexFetchForReset } = makeIndexOps(u32);
  /** u32 index of the vCPU's avail_index, or fetch_index, word; 0 in the flags protocol. Named loads, as every control word here (views.ts). */
  const availAtWord = (vcpu: number): number => u32[(vcpu >>> 2) + VCPU_WORD.availAt]! >>> 2;
  const fetchAtWord = (vcpu: number): number => u32[(vcpu >>> 2) + VCPU_WORD.fetchAt]! >>> 2;

  /** u32 index of entry `index`'s first word. */
  function entryWord(vcpu: number, index: number): number {
    const mask = u32[(vcpu >>> 2) + VCPU_WORD.entries]! - 1;
    return (u32[(vcpu >>> 2) + VCPU_WORD.ring]! >>> 2) + 4 * ((index & mask) >>> 0);
  }

  function dirtyRingUsed(vcpu: number): number {
    return (Atomics.load(u32, (vcpu >>> 2) + VCPU_WORD.dirtyIndex) - Atomics.load(u32, (vcpu >>> 2) + VCPU_WORD.resetIndex)) >>> 0;
  }

  function dirtyRingPush(vcpu: number, slot: number, offset: number): number {
    const diWord = (vcpu >>> 2) + VCPU_WORD.dirtyIndex;
    const di = u32[diWord]!;
    const soft = u32[(vcpu >>> 2) + VCPU_WORD.softLimit]!;
    const used = (di - Atomics.load(u32, (vcpu >>> 2) + VCPU_WORD.resetIndex)) >>> 0;
    if (used >= u32[(vcpu >>> 2) + VCPU_WORD.entries]!) {
      Atomics.add(u32, (vcpu >>> 2) + VCPU_WORD.hardFull, 1);
      return ABI.PUSH_HARD_FULL;
    }
    const avail = availAtWord(vcpu);
    const e = entryWord(vcpu, di);
    if (avail !== 0) {
      gfnWritePayload(e, slot, offset);
      indexPublishAvail(avail, (di + 1) >>> 0);
    } else {
      gfnMarkDirty(e, slot, offset);
    }
    Atomics.store(u32, diWord, (di + 1) >>> 0);
    const p = (vcpu >>> 2) + VCPU_WORD.pushes; // u64 counter as two halves
    if (++u32[p]! === 0 || u32[p] === 0) u32[p + 1]!++;
    return used + 1 >= soft ? ABI.PUSH_SOFT_FULL : ABI.PUSH_OK;
  }

  function dirtyRingPushBatch(vcpu: number, slot: number, pages: number, n: number): number {
    const w = pages >>> 2;
    for (let i = 0; i < n; i++) {
      if (dirtyRingPush(vcpu, slot, u32[w + i]!) === ABI.PUSH_HARD_FULL) return i;
    }
    return n;
  }

  function dirtyRingHarvest(vcpu: number, max: number): number {
    const out = u32[(vcpu >>> 2) + VCPU_WORD.harvestBuf]! >>> 2;
    max = Math.min(max, u32[(vcpu >>> 2) + VCPU_WORD.entries]!);
    const fetchAt = fetchAtWord(vcpu);
    if (fetchAt !== 0) {
      // Shared indices: up to avail_index, then one store of fetch_index; no entry written.
      const from = indexOwnFetch(fetchAt);
      const n = Math.min((indexAvail(availAtWord(vcpu)) - from) >>> 0, max);
      for (let i = 0; i < n; i++) {
        const e = entryWord(vcpu, (from + i) >>> 0);
        const rec = out + 4 * i;
        u32[rec + ABI.GFN_SLOT / 4] = gfnSlot(e);
        u32[rec + ABI.GFN_OFFSET / 4] = gfnOffsetLo(e);
        u32[rec + ABI.GFN_OFFSET / 4 + 1] = gfnOffsetHi(e);
      }
      indexPublishFetch(fetchAt, (from + n) >>> 0);
      return n;
    }
    const fetchWord = (vcpu >>> 2) + VCPU_WORD.fetchIndex;
    let fetch = u32[fetchWord]!;
    let n = 0;
    while (n < max) {
      const e = entryWord(vcpu, fetch);
      if (gfnFlags(e) !== ABI.GFN_F_DIRTY) break;
      const rec = out + 4 * n;
      u32[rec + ABI.GFN_SLOT / 4] = gfnSlot(e);
      u32[rec + ABI.GFN_OFFSET / 4] = gfnOffsetLo(e);
      u32[rec + ABI.GFN_OFFSET / 4 + 1] = gfnOffsetHi(e);
      gfnMarkHarvested(e);
      fetch = (fetch + 1) >>> 0;
      n++;
    }
    Atomics.store(u32, fetchWord, fetch);
    return n;
  }

  function reject(hi: number, lo: number): false {
    Atomics.add(u32, VM_BASE + VM_WORD.rejectedBatches, 1);
    Atomics.add(u32, VM_BASE + VM_WORD.rejectedPages, popcount32(hi) + popcount32(lo));
    return false;
  }

  /** kvm_reset_dirty_gfn's checks, then the re-arm. */
  function reprotect(slot: number, baseHi: number, baseLo: number, hi: number, lo: number): boolean {
    const asId = slot >>> 16;
    const id = slot & 0xffff;
    if (asId >= u32[VM_BASE + VM_WORD.nrAs]! || id >= u32[VM_BASE + VM_WORD.nrSlots]!) return reject(hi, lo);
    const desc = u32[VM_BASE + VM_WORD.slots]! + id * ABI.SLOT_STRIDE;
    const npages = u32[(desc >>> 2) + SLOT_WORD.npages]!;
    const top = hi ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
    const logging = (u32[(desc >>> 2) + SLOT_WORD.flags]! & ABI.SLOT_F_LOG_DIRTY) !== 0;
    if (npages === 0 || !logging || baseHi !== 0 || baseLo >= npages || baseLo + top >= npages) return reject(hi, lo);
    bitmaps.orMask32(u32[(desc >>> 2) + SLOT_WORD.armed]!, baseLo, hi, lo);
    const rearmed = Atomics.load(u32, (desc >>> 2) + SLOT_WORD.rearmed); // the verifier's record (content mode)
    if (rearmed !== 0) bitmaps.orMask32(rearmed, baseLo, hi, lo);
    return true;
  }

  /**
   * One ring's walk. Flags: while entries carry RESET (a pending signal stops it). Shared
   * indices: to the fetch_index dirtyRingsReset validated, writing no entry.
   */
  function dirtyRingReset(vcpu: number, limit: number): number {
    const indexed = fetchAtWord(vcpu) !== 0;
    if (!indexed) Atomics.load(u32, (vcpu >>> 2) + VCPU_WORD.fetchIndex); // acquire the harvester's batch before any flag
    const riWord = (vcpu >>> 2) + VCPU_WORD.resetIndex;
    const abortWord = VM_BASE + VM_WORD.resetAbort;
    let ri = u32[riWord]!;
    // Indices: the walk ends at the validated fetch_index, so that is its bound.
    if (indexed) limit = Math.min(limit, (u32[(vcpu >>> 2) + VCPU_WORD.resetFetch]! - ri) >>> 0);
    let count = 0;
    let curSlot = 0;
    let baseHi = 0;
    let baseLo = 0;
    let hi = 0; // the 64-bit batch mask, as halves
    let lo = 0;
    let batches = 0;
    while (count < limit) {
      const e = entryWord(vcpu, ri);
      if (!indexed) {
        if (Atomics.load(u32, abortWord) !== 0) break;
        if ((gfnFlags(e) & ABI.GFN_F_RESET) === 0) break;
      }
      const s = gfnSlot(e);
      const oLo = gfnOffsetLo(e);
      const oHi = gfnOffsetHi(e);
      if (!indexed) gfnMarkReset(e);
      ri = (ri + 1) >>> 0;
      count++;
      if ((hi | lo) !== 0) {
        if (s === curSlot) {
          const d = delta64(oHi, oLo, baseHi, baseLo);
          if (d >= 0 && d < 64) {
            if (d < 32) lo = (lo | (1 << d)) >>> 0;
            else hi = (hi | (1 << (d - 32))) >>> 0;
            continue;
          }
          const k = -d;
          if (d > -64 && d < 0 && (hi ? Math.clz32(hi) : 32 + Math.clz32(lo)) >= k) {
            if (k >= 32) {
              hi = (lo << (k - 32)) >>> 0;
              lo = 1;
            } else {
              hi = ((hi << k) | (lo >>> (32 - k))) >>> 0;
              lo = ((lo << k) | 1) >>> 0;
            }
            baseHi = oHi;
            baseLo = oLo;
            continue;
          }
        }
        if (reprotect(curSlot, baseHi, baseLo, hi, lo)) batches++;
      }
      curSlot = s;
      baseHi = oHi;
      baseLo = oLo;
      hi = 0;
      lo = 1;
    }
    if ((hi | lo) !== 0 && reprotect(curSlot, baseHi, baseLo, hi, lo)) batches++;
    const bw = (vcpu >>> 2) + VCPU_WORD.resetBatches;
    u32[bw] = (u32[bw]! + batches) >>> 0;
    Atomics.store(u32, riWord, ri);
    return count;
  }

  /** KVM_RESET_DIRTY_RINGS; every shared-indices ring's fetch_index is checked before any ring is reset. */
  function dirtyRingsReset(list: number, n: number, limit: number): number {
    for (let i = 0; i < n; i++) {
      const vcpu = u32[(list >>> 2) + i]!;
      const fetchAt = fetchAtWord(vcpu);
      if (fetchAt === 0) continue;
      const fetch = indexFetchForReset(fetchAt);
      if ((fetch - u32[(vcpu >>> 2) + VCPU_WORD.resetIndex]!) >>> 0 > u32[(vcpu >>> 2) + VCPU_WORD.entries]!) return ABI.RESET_EINVAL_FETCH - i;
      u32[(vcpu >>> 2) + VCPU_WORD.resetFetch] = fetch;
    }
    let count = 0;
    for (let i = 0; i < n && count < limit; i++) count += dirtyRingReset(u32[(list >>> 2) + i]!, limit - count);
    return count;
  }

  return { dirtyRingUsed, dirtyRingPush, dirtyRingPushBatch, dirtyRingHarvest, dirtyRingsReset };
}

export type RingOps = ReturnType<typeof makeRingOps>;

/**
 * (o - base) as a signed 64-bit number, clamped to ±2^31 where only "within 64" matters.
 * Numbers are exact while both offsets fit 32 bits; otherwise BigInt does the wrap.
 */
function delta64(oHi: number, oLo: number, bHi: number, bLo: number): number {
  if (oHi === 0 && bHi === 0) return oLo - bLo;
  const d = BigInt.asIntN(64, ((BigInt(oHi) << 32n) | BigInt(oLo)) - ((BigInt(bHi) << 32n) | BigInt(bLo)));
  return d > 2n ** 31n ? 2 ** 31 : d < -(2n ** 31n) ? -(2 ** 31) : Number(d);
}
