/** The VMM's side of collection in the js engine: assembly/collect.ts on typed arrays. */
import { ABI } from '../../layout.ts';
import { popcount32, slotWord, vcpuWord, vmWord, type Views } from './views.ts';

export function makeCollectOps({ u32 }: Views) {
  function collectHarvested(vcpu: number, n: number): number {
    const buf = u32[vcpuWord(vcpu, 'harvestBuf')]! >>> 2;
    const nrAs = u32[vmWord('nrAs')]!;
    const nrSlots = u32[vmWord('nrSlots')]!;
    const slots = u32[vmWord('slots')]!;
    let skipped = 0;
    for (let i = 0; i < n; i++) {
      const rec = buf + 4 * i;
      const slot = u32[rec + ABI.GFN_SLOT / 4]!;
      const lo = u32[rec + ABI.GFN_OFFSET / 4]!;
      const hi = u32[rec + ABI.GFN_OFFSET / 4 + 1]!;
      const id = slot & 0xffff;
      const desc = slots + id * ABI.SLOT_STRIDE;
      if (slot >>> 16 >= nrAs || id >= nrSlots || hi !== 0 || lo >= u32[slotWord(desc, 'npages')]!) {
        skipped++;
        continue;
      }
      u32[(u32[slotWord(desc, 'collected')]! >>> 2) + (lo >>> 5)]! |= 1 << (lo & 31);
    }
    return skipped;
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

  return { collectHarvested, bitmapOr, bitmapDrain, bitmapAndNot };
}
