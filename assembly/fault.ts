// The write-fault path: mark_page_dirty_in_slot for a write to an armed page.
import {
  VM_CTL, VM_NO_VCPU_LOGS, VCPU_ENTRIES, SLOT_NPAGES, SLOT_FLAGS, SLOT_ID, SLOT_ARMED, SLOT_DIRTY,
  SLOT_F_HAS_BITMAP, FAULT_CLEAN, FAULT_RING, FAULT_RING_SOFT_FULL, FAULT_BITMAP, FAULT_NOT_LOGGED,
  FAULT_RING_FULL, FAULT_OUT_OF_RANGE, SLOT_CONTENTS, PAGE_SHIFT, PUSH_HARD_FULL, PUSH_SOFT_FULL,
} from "./layout.generated";
import { testAndDisarm, setBit } from "./bitmap";
import { dirtyRingPush } from "./dirty_ring";

/**
 * A guest write to `page` of the slot at `desc` by the vCPU at `vcpu` (0 = no vCPU, a
 * device or KVM-internal writer). Only the writer that disarms the page logs it: into its
 * ring when the ring is on and there is a vCPU, else into the slot's dirty bitmap.
 * Logging happens before the write lands, so the page is never reported late.
 */
export function faultWrite(vcpu: usize, desc: usize, page: u32): i32 {
  if (page >= load<u32>(desc + SLOT_NPAGES)) return FAULT_OUT_OF_RANGE;
  const armed = <usize>load<u32>(desc + SLOT_ARMED);
  if (!testAndDisarm(armed, page)) return FAULT_CLEAN;
  if (vcpu != 0 && load<u32>(vcpu + VCPU_ENTRIES) != 0) {
    const r = dirtyRingPush(vcpu, load<u32>(desc + SLOT_ID), page);
    if (r == PUSH_HARD_FULL) {
      // The write cannot complete: leave the page armed so the retried write logs it.
      setBit(armed, page);
      return FAULT_RING_FULL;
    }
    return r == PUSH_SOFT_FULL ? FAULT_RING_SOFT_FULL : FAULT_RING;
  }
  if ((load<u32>(desc + SLOT_FLAGS) & SLOT_F_HAS_BITMAP) != 0) {
    setBit(<usize>load<u32>(desc + SLOT_DIRTY), page);
    return FAULT_BITMAP;
  }
  atomic.add<u32>(VM_CTL + VM_NO_VCPU_LOGS, 1);
  return FAULT_NOT_LOGGED;
}

/**
 * faultWrite, then store `value` in the page's first 8 bytes when the slot holds contents
 * (dirty_log_test's iteration stamp, zero-extended). Returns the fault outcome; on FAULT_RING_FULL nothing is written.
 */
export function guestWrite(vcpu: usize, desc: usize, page: u32, value: u32): i32 {
  const r = faultWrite(vcpu, desc, page);
  if (r == FAULT_RING_FULL || r == FAULT_OUT_OF_RANGE) return r;
  const contents = <usize>load<u32>(desc + SLOT_CONTENTS);
  if (contents != 0) atomic.store<u64>(contents + (<usize>page << PAGE_SHIFT), <u64>value);
  return r;
}

/**
 * Fault `n` pages read from a u32 array. Stops after a write that fills the ring to its soft
 * limit, or before one the ring cannot hold. Returns the number of pages processed.
 */
export function faultWriteBatch(vcpu: usize, desc: usize, pages: usize, n: u32): u32 {
  for (let i: u32 = 0; i < n; i++) {
    const r = faultWrite(vcpu, desc, load<u32>(pages + (<usize>i << 2)));
    if (r == FAULT_RING_FULL) return i;
    if (r == FAULT_RING_SOFT_FULL) return i + 1;
  }
  return n;
}
