/** The fault path and PML log of the js engine: assembly/fault.ts on typed arrays. */
import { ABI } from '../../layout.ts';
import type { BitmapOps } from './bitmap.ts';
import type { makeRingOps } from './dirty-ring.ts';
import type { Views } from './views.ts';

export function makeFaultOps({ u32, u8 }: Views, bitmaps: BitmapOps, rings: ReturnType<typeof makeRingOps>) {
  const field = (base: number, off: number): number => u32[(base + off) >>> 2]!;
  const vmField = (off: number): number => u32[(ABI.VM_CTL + off) >>> 2]!;

  function markPageDirty(vcpu: number, desc: number, page: number): number {
    const flags = Atomics.load(u32, (desc + ABI.SLOT_FLAGS) >>> 2);
    if ((flags & ABI.SLOT_F_LOG_DIRTY) === 0) return ABI.FAULT_CLEAN;
    if (vcpu !== 0 && field(vcpu, ABI.VCPU_ENTRIES) !== 0) {
      const r = rings.dirtyRingPush(vcpu, field(desc, ABI.SLOT_ID), page);
      if (r === ABI.PUSH_HARD_FULL) return ABI.FAULT_RING_FULL;
      return r === ABI.PUSH_SOFT_FULL ? ABI.FAULT_RING_SOFT_FULL : ABI.FAULT_RING;
    }
    if ((flags & ABI.SLOT_F_HAS_BITMAP) !== 0) {
      bitmaps.setBit(field(desc, ABI.SLOT_DIRTY), page);
      return ABI.FAULT_BITMAP;
    }
    Atomics.add(u32, (ABI.VM_CTL + ABI.VM_NO_VCPU_LOGS) >>> 2, 1);
    return ABI.FAULT_NOT_LOGGED;
  }

  function pmlDrain(vcpu: number): number {
    const log = field(vcpu, ABI.VCPU_PML_BUF);
    const idxWord = (vcpu + ABI.VCPU_PML_INDEX) >>> 2;
    const n = u32[idxWord]!;
    if (log === 0 || n === 0) return ABI.FAULT_CLEAN;
    const slots = vmField(ABI.VM_SLOTS);
    const nrSlots = vmField(ABI.VM_NR_SLOTS);
    let outcome: number = ABI.FAULT_CLEAN;
    for (let i = 0; i < n; i++) {
      const e = log + i * ABI.PML_ENTRY_SIZE;
      const id = u32[e >>> 2]! & 0xffff;
      if (id >= nrSlots) continue;
      const r = markPageDirty(vcpu, slots + id * ABI.SLOT_STRIDE, u32[(e >>> 2) + 1]!);
      if (r === ABI.FAULT_RING_FULL) {
        u8.copyWithin(log, e, log + n * ABI.PML_ENTRY_SIZE);
        u32[idxWord] = n - i;
        return ABI.FAULT_RING_FULL;
      }
      if (r === ABI.FAULT_RING_SOFT_FULL) outcome = r;
    }
    u32[idxWord] = 0;
    u32[(vcpu + ABI.VCPU_PML_DRAINS) >>> 2]!++;
    return outcome;
  }

  function faultWrite(vcpu: number, desc: number, page: number): number {
    if (page >= field(desc, ABI.SLOT_NPAGES)) return ABI.FAULT_OUT_OF_RANGE;
    const armed = field(desc, ABI.SLOT_ARMED);
    if (!bitmaps.testAndDisarm(armed, page)) return ABI.FAULT_CLEAN;
    const log = vcpu !== 0 ? field(vcpu, ABI.VCPU_PML_BUF) : 0;
    if (log !== 0) {
      const idxWord = (vcpu + ABI.VCPU_PML_INDEX) >>> 2;
      const i = u32[idxWord]!;
      const e = (log + i * ABI.PML_ENTRY_SIZE) >>> 2;
      u32[e] = field(desc, ABI.SLOT_ID);
      u32[e + 1] = page;
      u32[idxWord] = i + 1;
      return i + 1 === ABI.PML_LOG_ENTRIES ? pmlDrain(vcpu) : ABI.FAULT_PML;
    }
    const r = markPageDirty(vcpu, desc, page);
    if (r === ABI.FAULT_RING_FULL) bitmaps.setBit(armed, page); // the retried write logs it
    return r;
  }

  /** Store first, then fault: see assembly/fault.ts guestWrite for why the order matters. */
  function guestWrite(vcpu: number, desc: number, page: number, value: number, seq: number): number {
    if (page >= field(desc, ABI.SLOT_NPAGES)) return ABI.FAULT_OUT_OF_RANGE;
    const contents = field(desc, ABI.SLOT_CONTENTS);
    if (contents !== 0) {
      const w = (contents + page * ABI.PAGE_SIZE) / 4;
      u32[w + 1] = seq >>> 0;
      Atomics.store(u32, w, value >>> 0); // seq-cst, before the armed check in faultWrite
    }
    return faultWrite(vcpu, desc, page);
  }

  function faultWriteBatch(vcpu: number, desc: number, pages: number, n: number): number {
    const w = pages >>> 2;
    for (let i = 0; i < n; i++) {
      const r = faultWrite(vcpu, desc, u32[w + i]!);
      if (r === ABI.FAULT_RING_FULL) return i;
      if (r === ABI.FAULT_RING_SOFT_FULL) return i + 1;
    }
    return n;
  }

  return { faultWrite, guestWrite, faultWriteBatch, pmlDrain };
}

export type FaultOps = ReturnType<typeof makeFaultOps>;
