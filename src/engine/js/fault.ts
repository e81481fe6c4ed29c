/** The fault path and PML log of the js engine: assembly/fault.ts on typed arrays. */
import { ABI } from '../../layout.ts';
import type { BitmapOps } from './bitmap.ts';
import type { RingOps } from './dirty_ring.ts';
import { SLOT_WORD, VCPU_WORD, VM_BASE, VM_WORD, type Views } from './views.ts';

export function makeFaultOps({ u32, u8 }: Views, bitmaps: BitmapOps, rings: RingOps) {
  function markPageDirty(vcpu: number, desc: number, page: number): number {
    const flags = Atomics.load(u32, (desc >>> 2) + SLOT_WORD.flags);
    if ((flags & ABI.SLOT_F_LOG_DIRTY) === 0) return ABI.FAULT_CLEAN;
    if (vcpu !== 0 && u32[(vcpu >>> 2) + VCPU_WORD.entries] !== 0) {
      const r = rings.dirtyRingPush(vcpu, u32[(desc >>> 2) + SLOT_WORD.id]!, page);
      if (r === ABI.PUSH_HARD_FULL) return ABI.FAULT_RING_FULL;
      return r === ABI.PUSH_SOFT_FULL ? ABI.FAULT_RING_SOFT_FULL : ABI.FAULT_RING;
    }
    if ((flags & ABI.SLOT_F_HAS_BITMAP) !== 0) {
      bitmaps.setBit(u32[(desc >>> 2) + SLOT_WORD.dirty]!, page);
      return ABI.FAULT_BITMAP;
    }
    Atomics.add(u32, VM_BASE + VM_WORD.noVcpuLogs, 1);
    return ABI.FAULT_NOT_LOGGED;
  }

  function pmlDrain(vcpu: number): number {
    const log = u32[(vcpu >>> 2) + VCPU_WORD.pmlBuf]!;
    const idxWord = (vcpu >>> 2) + VCPU_WORD.pmlIndex;
    const n = u32[idxWord]!;
    if (log === 0 || n === 0) return ABI.FAULT_CLEAN;
    const slots = u32[VM_BASE + VM_WORD.slots]!;
    const nrSlots = u32[VM_BASE + VM_WORD.nrSlots]!;
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
    u32[(vcpu >>> 2) + VCPU_WORD.pmlDrains]!++;
    return outcome;
  }

  function faultWrite(vcpu: number, desc: number, page: number): number {
    if (page >= u32[(desc >>> 2) + SLOT_WORD.npages]!) return ABI.FAULT_OUT_OF_RANGE;
    if (vcpu === 0 || u32[(vcpu >>> 2) + VCPU_WORD.noVcpu] !== 0) return markPageDirty(0, desc, page); // no MMU: logged every time
    const armed = u32[(desc >>> 2) + SLOT_WORD.armed]!;
    if (!bitmaps.testAndDisarm(armed, page)) return ABI.FAULT_CLEAN;
    const log = vcpu !== 0 ? u32[(vcpu >>> 2) + VCPU_WORD.pmlBuf]! : 0;
    if (log !== 0) {
      const idxWord = (vcpu >>> 2) + VCPU_WORD.pmlIndex;
      const i = u32[idxWord]!;
      const e = (log + i * ABI.PML_ENTRY_SIZE) >>> 2;
      u32[e] = u32[(desc >>> 2) + SLOT_WORD.id]!;
      u32[e + 1] = page;
      u32[idxWord] = i + 1;
      return i + 1 === ABI.PML_LOG_ENTRIES ? pmlDrain(vcpu) : ABI.FAULT_PML;
    }
    const r = markPageDirty(vcpu, desc, page);
    if (r === ABI.FAULT_RING_FULL) bitmaps.setBit(armed, page); // the retried write logs it
    return r;
  }

  /** The fault (and exit) before the store for ring vCPUs, else store first: see assembly/fault.ts write for why. */
  function guestWrite(vcpu: number, desc: number, page: number, value: number, seq: number): number {
    if (page >= u32[(desc >>> 2) + SLOT_WORD.npages]!) return ABI.FAULT_OUT_OF_RANGE;
    const contents = u32[(desc >>> 2) + SLOT_WORD.contents]!;
    const truth = contents !== 0 ? truthFor(vcpu, desc) : 0; // read before the fault: see assembly/fault.ts truthFor
    if (exitsBeforeStore(vcpu)) {
      const r = faultWrite(vcpu, desc, page);
      if (r === ABI.FAULT_RING_SOFT_FULL) return ABI.FAULT_RING_SOFT_FULL_RETRY; // KVM exits with RIP on the store
      if (r === ABI.FAULT_RING_FULL || contents === 0) return r;
      stamp(contents, page, value, seq);
      const again = faultWrite(vcpu, desc, page); // store-then-check
      if (truth !== 0) bitmaps.setBit(truth, page);
      return again === ABI.FAULT_CLEAN ? r : again;
    }
    if (contents === 0) return faultWrite(vcpu, desc, page);
    stamp(contents, page, value, seq);
    const r = faultWrite(vcpu, desc, page);
    if (r !== ABI.FAULT_RING_FULL && truth !== 0) bitmaps.setBit(truth, page);
    return r;
  }

  function exitsBeforeStore(vcpu: number): boolean {
    return vcpu !== 0 && u32[(vcpu >>> 2) + VCPU_WORD.entries] !== 0 && u32[(vcpu >>> 2) + VCPU_WORD.pmlBuf] === 0 && u32[(vcpu >>> 2) + VCPU_WORD.noVcpu] === 0;
  }

  function stamp(contents: number, page: number, value: number, seq: number): void {
    const w = (contents + page * ABI.PAGE_SIZE) / 4;
    u32[w + 1] = seq >>> 0;
    Atomics.store(u32, w, value >>> 0); // seq-cst, before the armed check in faultWrite
  }

  function truthFor(vcpu: number, desc: number): number {
    const ringWriter = vcpu !== 0 && u32[(vcpu >>> 2) + VCPU_WORD.entries] !== 0;
    return Atomics.load(u32, (desc >>> 2) + (ringWriter ? SLOT_WORD.truthRing : SLOT_WORD.truthBitmap));
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
