/**
 * The ring half of the js engine: assembly/dirty_gfn.ts and assembly/dirty_ring.ts on
 * typed arrays. Offsets are untrusted u64s, so the reset keeps them, and its 64-bit mask,
 * as (hi, lo) halves and falls back to BigInt only when an offset does not fit 32 bits.
 */
import { ABI } from '../../layout.ts';
import type { BitmapOps } from './bitmap.ts';
import { popcount32, type Views } from './views.ts';

const F = ABI.GFN_FLAGS >>> 2;
const S = ABI.GFN_SLOT >>> 2;
const O = ABI.GFN_OFFSET >>> 2;

export function makeRingOps({ u32 }: Views, bitmaps: BitmapOps) {
  const vcpuField = (vcpu: number, field: number): number => u32[(vcpu + field) >>> 2]!;
  const vm = (field: number): number => u32[(ABI.VM_CTL + field) >>> 2]!;

  /** Word index of entry `index`'s flags. */
  function entryWord(vcpu: number, index: number): number {
    const mask = vcpuField(vcpu, ABI.VCPU_ENTRIES) - 1;
    return (vcpuField(vcpu, ABI.VCPU_RING) >>> 2) + 4 * ((index & mask) >>> 0);
  }

  function dirtyRingUsed(vcpu: number): number {
    return (Atomics.load(u32, (vcpu + ABI.VCPU_DIRTY_INDEX) >>> 2) - Atomics.load(u32, (vcpu + ABI.VCPU_RESET_INDEX) >>> 2)) >>> 0;
  }

  function dirtyRingPush(vcpu: number, slot: number, offset: number): number {
    const diWord = (vcpu + ABI.VCPU_DIRTY_INDEX) >>> 2;
    const di = u32[diWord]!;
    const used = (di - Atomics.load(u32, (vcpu + ABI.VCPU_RESET_INDEX) >>> 2)) >>> 0;
    if (used >= vcpuField(vcpu, ABI.VCPU_ENTRIES)) {
      Atomics.add(u32, (vcpu + ABI.VCPU_HARD_FULL) >>> 2, 1);
      return ABI.PUSH_HARD_FULL;
    }
    const e = entryWord(vcpu, di);
    u32[e + S] = slot;
    u32[e + O] = offset;
    u32[e + O + 1] = 0;
    Atomics.store(u32, e + F, ABI.GFN_F_DIRTY); // publish after the payload
    Atomics.store(u32, diWord, (di + 1) >>> 0);
    const p = (vcpu + ABI.VCPU_PUSHES) >>> 2; // u64 counter as two halves
    if (++u32[p]! === 0 || u32[p] === 0) u32[p + 1]!++;
    return used + 1 >= vcpuField(vcpu, ABI.VCPU_SOFT_LIMIT) ? ABI.PUSH_SOFT_FULL : ABI.PUSH_OK;
  }

  function dirtyRingPushBatch(vcpu: number, slot: number, pages: number, n: number): number {
    const w = pages >>> 2;
    for (let i = 0; i < n; i++) {
      if (dirtyRingPush(vcpu, slot, u32[w + i]!) === ABI.PUSH_HARD_FULL) return i;
    }
    return n;
  }

  function dirtyRingHarvest(vcpu: number, max: number): number {
    const out = vcpuField(vcpu, ABI.VCPU_HARVEST_BUF) >>> 2;
    max = Math.min(max, vcpuField(vcpu, ABI.VCPU_ENTRIES));
    const fetchWord = (vcpu + ABI.VCPU_FETCH_INDEX) >>> 2;
    let fetch = u32[fetchWord]!;
    let n = 0;
    while (n < max) {
      const e = entryWord(vcpu, fetch);
      if (Atomics.load(u32, e + F) !== ABI.GFN_F_DIRTY) break; // acquire before the payload
      const rec = out + 4 * n;
      u32[rec + S] = u32[e + S]!;
      u32[rec + O] = u32[e + O]!;
      u32[rec + O + 1] = u32[e + O + 1]!;
      Atomics.store(u32, e + F, ABI.GFN_F_RESET); // hand back after the payload is read
      fetch = (fetch + 1) >>> 0;
      n++;
    }
    Atomics.store(u32, fetchWord, fetch);
    return n;
  }

  function reject(hi: number, lo: number): false {
    Atomics.add(u32, (ABI.VM_CTL + ABI.VM_REJECTED_BATCHES) >>> 2, 1);
    Atomics.add(u32, (ABI.VM_CTL + ABI.VM_REJECTED_PAGES) >>> 2, popcount32(hi) + popcount32(lo));
    return false;
  }

  /** kvm_reset_dirty_gfn's checks, then the re-arm. */
  function reprotect(slot: number, baseHi: number, baseLo: number, hi: number, lo: number): boolean {
    const asId = slot >>> 16;
    const id = slot & 0xffff;
    if (asId >= vm(ABI.VM_NR_AS) || id >= vm(ABI.VM_NR_SLOTS)) return reject(hi, lo);
    const desc = vm(ABI.VM_SLOTS) + id * ABI.SLOT_STRIDE;
    const npages = u32[(desc + ABI.SLOT_NPAGES) >>> 2]!;
    const top = hi ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
    const logging = (u32[(desc + ABI.SLOT_FLAGS) >>> 2]! & ABI.SLOT_F_LOG_DIRTY) !== 0;
    if (npages === 0 || !logging || baseHi !== 0 || baseLo >= npages || baseLo + top >= npages) return reject(hi, lo);
    bitmaps.orMask32(u32[(desc + ABI.SLOT_ARMED) >>> 2]!, baseLo, hi, lo);
    return true;
  }

  function dirtyRingReset(vcpu: number, limit: number): number {
    const riWord = (vcpu + ABI.VCPU_RESET_INDEX) >>> 2;
    const abortWord = (ABI.VM_CTL + ABI.VM_RESET_ABORT) >>> 2;
    let ri = u32[riWord]!;
    let count = 0;
    let curSlot = 0;
    let baseHi = 0;
    let baseLo = 0;
    let hi = 0; // the 64-bit batch mask, as halves
    let lo = 0;
    let batches = 0;
    while (count < limit) {
      if (Atomics.load(u32, abortWord) !== 0) break;
      const e = entryWord(vcpu, ri);
      if ((Atomics.load(u32, e + F) & ABI.GFN_F_RESET) === 0) break;
      const s = u32[e + S]!;
      const oLo = u32[e + O]!;
      const oHi = u32[e + O + 1]!;
      Atomics.store(u32, e + F, 0);
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
    const bw = (vcpu + ABI.VCPU_RESET_BATCHES) >>> 2;
    u32[bw] = (u32[bw]! + batches) >>> 0;
    Atomics.store(u32, riWord, ri);
    return count;
  }

  return { dirtyRingUsed, dirtyRingPush, dirtyRingPushBatch, dirtyRingHarvest, dirtyRingReset };
}

/**
 * (o - base) as a signed 64-bit number, clamped to ±2^31 where only "within 64" matters.
 * Numbers are exact while both offsets fit 32 bits; otherwise BigInt does the wrap.
 */
function delta64(oHi: number, oLo: number, bHi: number, bLo: number): number {
  if (oHi === 0 && bHi === 0) return oLo - bLo;
  const d = BigInt.asIntN(64, ((BigInt(oHi) << 32n) | BigInt(oLo)) - ((BigInt(bHi) << 32n) | BigInt(bLo)));
  return d > 2n ** 31n ? 2 ** 31 : d < -(2n ** 31n) ? -(2 ** 31) : Number(d);
}
