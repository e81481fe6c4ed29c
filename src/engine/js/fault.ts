/** The fault path of the js engine: assembly/fault.ts on typed arrays. */
import { ABI } from '../../layout.ts';
import type { BitmapOps } from './bitmap.ts';
import type { makeRingOps } from './dirty-ring.ts';
import type { Views } from './views.ts';

export function makeFaultOps({ u32 }: Views, bitmaps: BitmapOps, rings: ReturnType<typeof makeRingOps>) {
  const field = (base: number, off: number): number => u32[(base + off) >>> 2]!;

  function faultWrite(vcpu: number, desc: number, page: number): number {
    if (page >= field(desc, ABI.SLOT_NPAGES)) return ABI.FAULT_OUT_OF_RANGE;
    const armed = field(desc, ABI.SLOT_ARMED);
    if (!bitmaps.testAndDisarm(armed, page)) return ABI.FAULT_CLEAN;
    if (vcpu !== 0 && field(vcpu, ABI.VCPU_ENTRIES) !== 0) {
      const r = rings.dirtyRingPush(vcpu, field(desc, ABI.SLOT_ID), page);
      if (r === ABI.PUSH_HARD_FULL) {
        bitmaps.setBit(armed, page); // leave it armed: the retried write logs it
        return ABI.FAULT_RING_FULL;
      }
      return r === ABI.PUSH_SOFT_FULL ? ABI.FAULT_RING_SOFT_FULL : ABI.FAULT_RING;
    }
    if ((field(desc, ABI.SLOT_FLAGS) & ABI.SLOT_F_HAS_BITMAP) !== 0) {
      bitmaps.setBit(field(desc, ABI.SLOT_DIRTY), page);
      return ABI.FAULT_BITMAP;
    }
    Atomics.add(u32, (ABI.VM_CTL + ABI.VM_NO_VCPU_LOGS) >>> 2, 1);
    return ABI.FAULT_NOT_LOGGED;
  }

  function guestWrite(vcpu: number, desc: number, page: number, value: number): number {
    const r = faultWrite(vcpu, desc, page);
    if (r === ABI.FAULT_RING_FULL || r === ABI.FAULT_OUT_OF_RANGE) return r;
    const contents = field(desc, ABI.SLOT_CONTENTS);
    if (contents !== 0) {
      const w = (contents + page * ABI.PAGE_SIZE) / 4;
      u32[w + 1] = 0;
      Atomics.store(u32, w, value >>> 0);
    }
    return r;
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

  return { faultWrite, guestWrite, faultWriteBatch };
}
