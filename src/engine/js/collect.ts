/** The VMM's side of collection in the js engine: assembly/collect.ts on typed arrays. */
import { ABI } from '../../layout.ts';
import { makeGfnOps } from './dirty_gfn.ts';
import { makeIndexOps } from './ring_index.ts';
import { SLOT_WORD, VCPU_WORD, VM_BASE, VM_WORD, popcount32, type Views } from './views.ts';

export function makeCollectOps({ u32 }: Views) {
  const { gfnFlags, gfnSlot, gfnOffsetLo, gfnOffsetHi, gfnMarkHarvested } = makeGfnOps(u32);
  const { indexAvail, indexOwnFetch, indexPublishFetch } = makeIndexOps(u32);

  /** Mark one harvested (slot, offset) in its slot's collected bitmap; false when it was skipped. */
  function markGfn(slot: number, lo: number, hi: number): boolean {
    const id = slot & 0xffff;
    const desc = u32[VM_BASE + VM_WORD.slots]! + id * ABI.SLOT_STRIDE;
    if (slot >>> 16 >= u32[VM_BASE + VM_WORD.nrAs]! || id >= u32[VM_BASE + VM_WORD.nrSlots]! || hi !== 0 || lo >= u32[(desc >>> 2) + SLOT_WORD.npages]!) return false;
    u32[(u32[(desc >>> 2) + SLOT_WORD.collected]! >>> 2) + (lo >>> 5)]! |= 1 << (lo & 31);
    return true;
  }

  function collectHarvested(vcpu: number, n: number): number {
    const buf = u32[(vcpu >>> 2) + VCPU_WORD.harvestBuf]! >>> 2;
    let skipped = 0;
    for (let i = 0; i < n; i++) {
      const rec = buf + 4 * i;
      if (!markGfn(u32[rec + ABI.GFN_SLOT / 4]!, u32[rec + ABI.GFN_OFFSET / 4]!, u32[rec + ABI.GFN_OFFSET / 4 + 1]!)) skipped++;
    }
    return skipped;
  }

  function dirtyRingsCollect(list: number, n: number, max: number): number {
    let total = 0;
    let skipped = 0;
    for (let v = 0; v < n; v++) {
      const vcpu = u32[(list >>> 2) + v]!;
      const ring = u32[(vcpu >>> 2) + VCPU_WORD.ring]! >>> 2;
      const entries = u32[(vcpu >>> 2) + VCPU_WORD.entries]!;
      const most = Math.min(max >>> 0, entries);
      const fetchAt = u32[(vcpu >>> 2) + VCPU_WORD.fetchAt]! >>> 2;
      if (fetchAt !== 0) {
        // Shared indices: the entries up to avail_index, then one store of fetch_index.
        const from = indexOwnFetch(fetchAt);
        const taken = Math.min((indexAvail(u32[(vcpu >>> 2) + VCPU_WORD.availAt]! >>> 2) - from) >>> 0, most);
        if (taken === 0) continue;
        for (let i = 0; i < taken; i++) {
          const e = ring + 4 * (((from + i) & (entries - 1)) >>> 0);
          if (!markGfn(gfnSlot(e), gfnOffsetLo(e), gfnOffsetHi(e))) skipped++;
        }
        indexPublishFetch(fetchAt, (from + taken) >>> 0);
        total += taken;
        continue;
      }
      let fetch = u32[(vcpu >>> 2) + VCPU_WORD.fetchIndex]!;
      let taken = 0;
      while (taken < most) {
        const e = ring + 4 * ((fetch & (entries - 1)) >>> 0);
        if (gfnFlags(e) !== ABI.GFN_F_DIRTY) break;
        if (!markGfn(gfnSlot(e), gfnOffsetLo(e), gfnOffsetHi(e))) skipped++;
        gfnMarkHarvested(e);
        fetch = (fetch + 1) >>> 0;
        taken++;
      }
      if (taken === 0) continue;
      Atomics.store(u32, (vcpu >>> 2) + VCPU_WORD.fetchIndex, fetch); // publishes the batch's RESET flags
      total += taken;
    }
    if (skipped) Atomics.add(u32, VM_BASE + VM_WORD.collectorSkipped, skipped);
    return total;
  }

  /** dst |= src, word by nonzero word of src; with `drain`, src is emptied as it is read. */
  function orWords(dst: number, src: number, npages: number, drain: boolean): number {
    const n32 = 2 * Math.ceil(npages / 64);
    const d = dst >>> 2;
    const s = src >>> 2;
    let count = 0;
    for (let i = 0; i < n32; i++) {
      const v = u32[s + i]!;
      if (v === 0) continue;
      u32[d + i]! |= v;
      if (drain) u32[s + i] = 0;
      count += popcount32(v);
    }
    return count;
  }

  const bitmapOr = (dst: number, src: number, npages: number): number => orWords(dst, src, npages, false);
  const bitmapDrain = (dst: number, src: number, npages: number): number => orWords(dst, src, npages, true);

  function bitmapAndNot(dst: number, src: number, npages: number): number {
    const n32 = 2 * Math.ceil(npages / 64);
    const d = dst >>> 2;
    const s = src >>> 2;
    let count = 0;
    for (let i = 0; i < n32; i++) {
      if (u32[d + i] === 0) continue;
      const v = (u32[d + i]! & ~u32[s + i]!) >>> 0;
      u32[d + i] = v;
      count += popcount32(v);
    }
    return count;
  }

  return { collectHarvested, dirtyRingsCollect, bitmapOr, bitmapDrain, bitmapAndNot };
}
