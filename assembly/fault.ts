// The write-fault path: mark_page_dirty_in_slot for a write to an armed page, and the
// per-vCPU PML log that x86 hardware fills instead of faulting.
import {
  VM_CTL, VM_NO_VCPU_LOGS, VM_SLOTS, VM_NR_SLOTS, VCPU_ENTRIES, VCPU_BITMAP_MARKS, VCPU_NO_VCPU, VCPU_PML_BUF, VCPU_PML_INDEX, VCPU_PML_DRAINS,
  SLOT_STRIDE, SLOT_NPAGES, SLOT_FLAGS, SLOT_ID, SLOT_ARMED, SLOT_DIRTY, SLOT_CONTENTS, SLOT_F_HAS_BITMAP, SLOT_F_LOG_DIRTY, SLOT_TRUTH_RING, SLOT_TRUTH_BITMAP,
  FAULT_CLEAN, FAULT_RING, FAULT_RING_SOFT_FULL, FAULT_BITMAP, FAULT_NOT_LOGGED, FAULT_RING_FULL,
  FAULT_OUT_OF_RANGE, FAULT_PML, FAULT_RING_SOFT_FULL_RETRY, PAGE_SHIFT, PUSH_HARD_FULL, PUSH_SOFT_FULL, PML_LOG_ENTRIES, PML_ENTRY_SIZE,
} from "./layout.generated";
import { testAndDisarm, setBit } from "./bitmap";
import { push } from "./dirty_ring";

/**
 * mark_page_dirty_in_slot: nothing when the slot's logging is off (a PML entry drained after
 * KVM_MEM_LOG_DIRTY_PAGES was cleared); else the vCPU's ring when it has one, else the
 * slot's dirty bitmap.
 */
// @ts-ignore: decorator
@inline function markPageDirty(vcpu: usize, desc: usize, page: u32): i32 {
  const flags = atomic.load<u32>(desc + SLOT_FLAGS);
  if ((flags & SLOT_F_LOG_DIRTY) == 0) return FAULT_CLEAN;
  if (vcpu != 0 && load<u32>(vcpu + VCPU_ENTRIES) != 0) {
    const r = push(vcpu, load<u32>(desc + SLOT_ID), page);
    if (r == PUSH_HARD_FULL) return FAULT_RING_FULL;
    return r == PUSH_SOFT_FULL ? FAULT_RING_SOFT_FULL : FAULT_RING;
  }
  if ((flags & SLOT_F_HAS_BITMAP) != 0) {
    setBit(<usize>load<u32>(desc + SLOT_DIRTY), page);
    // Counted for a calibrated fault cost (run option faultCostNs); only this vCPU writes it.
    if (vcpu != 0) store<u64>(vcpu + VCPU_BITMAP_MARKS, load<u64>(vcpu + VCPU_BITMAP_MARKS) + 1);
    return FAULT_BITMAP;
  }
  atomic.add<u32>(VM_CTL + VM_NO_VCPU_LOGS, 1);
  return FAULT_NOT_LOGGED;
}

/**
 * Drain the vCPU's PML log into its ring or the slots' bitmaps, as KVM does at every VM
 * exit. Returns the last outcome that matters: FAULT_RING_SOFT_FULL if the ring reached its
 * soft limit (the reserve of 512 entries exists for exactly this burst), FAULT_RING_FULL if
 * it ran out (the rest stays in the log, in order, for the next drain), else FAULT_CLEAN.
 */
export function pmlDrain(vcpu: usize): i32 {
  const log = <usize>load<u32>(vcpu + VCPU_PML_BUF);
  const n = load<u32>(vcpu + VCPU_PML_INDEX);
  if (log == 0 || n == 0) return FAULT_CLEAN;
  const slots = <usize>load<u32>(VM_CTL + VM_SLOTS);
  const nrSlots = load<u32>(VM_CTL + VM_NR_SLOTS);
  let outcome = FAULT_CLEAN;
  for (let i: u32 = 0; i < n; i++) {
    const e = log + <usize>i * PML_ENTRY_SIZE;
    const id = load<u32>(e) & 0xffff;
    if (id >= nrSlots) continue; // only this vCPU writes its log; cannot happen
    const r = markPageDirty(vcpu, slots + <usize>id * SLOT_STRIDE, load<u32>(e, 4));
    if (r == FAULT_RING_FULL) {
      memory.copy(log, e, <usize>(n - i) * PML_ENTRY_SIZE);
      store<u32>(vcpu + VCPU_PML_INDEX, n - i);
      return FAULT_RING_FULL;
    }
    if (r == FAULT_RING_SOFT_FULL) outcome = r;
  }
  store<u32>(vcpu + VCPU_PML_INDEX, 0);
  store<u32>(vcpu + VCPU_PML_DRAINS, load<u32>(vcpu + VCPU_PML_DRAINS) + 1);
  return outcome;
}

/**
 * A guest write to `page` of the slot at `desc` by the vCPU at `vcpu` (0 = no vCPU, a
 * device or KVM-internal writer). Only the writer that disarms the page logs it. With PML
 * the page goes to the vCPU's log, which drains when full (a PML-full exit).
 */
export function faultWrite(vcpu: usize, desc: usize, page: u32): i32 {
  return fault(vcpu, desc, page);
}

/**
 * faultWrite's body, inlined into the batch and workload loops (see dirty_ring.ts push).
 * A writer with no vCPU (KVM's own kvm_write_guest, a device) does not go through the MMU:
 * it leaves write protection alone and marks the page dirty on every write.
 */
// @ts-ignore: decorator
@inline function fault(vcpu: usize, desc: usize, page: u32): i32 {
  if (page >= load<u32>(desc + SLOT_NPAGES)) return FAULT_OUT_OF_RANGE;
  if (vcpu == 0 || load<u32>(vcpu + VCPU_NO_VCPU) != 0) return markPageDirty(0, desc, page);
  const armed = <usize>load<u32>(desc + SLOT_ARMED);
  if (!testAndDisarm(armed, page)) return FAULT_CLEAN;
  const log = vcpu != 0 ? <usize>load<u32>(vcpu + VCPU_PML_BUF) : 0;
  if (log != 0) {
    const i = load<u32>(vcpu + VCPU_PML_INDEX);
    const e = log + <usize>i * PML_ENTRY_SIZE;
    store<u32>(e, load<u32>(desc + SLOT_ID));
    store<u32>(e, page, 4);
    store<u32>(vcpu + VCPU_PML_INDEX, i + 1);
    return i + 1 == PML_LOG_ENTRIES ? pmlDrain(vcpu) : FAULT_PML;
  }
  const r = markPageDirty(vcpu, desc, page);
  // The write cannot complete: leave the page armed so the retried write logs it.
  if (r == FAULT_RING_FULL) setBit(armed, page);
  return r;
}

/**
 * A guest store: stamp `value` (low half) and `seq` (high half) into the page's first 8
 * bytes (content mode), so every write changes the page, and take the fault path.
 *
 * Ordering. The collector re-arms (reset, GET, CLEAR) first and copies the page second, both
 * sequentially consistent; so a store must be followed by a check of the armed bit: either
 * the check sees the re-arm (and logs the page again) or the copy sees the store. That is what
 * KVM's TLB flush after re-protection guarantees; without it a write racing a reset could
 * land unlogged.
 *
 * The ring-full exit comes before the store. A vCPU with a ring and no PML takes the fault
 * first (KVM: the write faults on the write-protected SPTE); if that push takes the ring to
 * its soft limit, KVM exits with RIP still on the store, so nothing is stored and
 * FAULT_RING_SOFT_FULL_RETRY asks the caller to store again after the reset (the retry finds
 * its page re-armed and logs it again, as on KVM). Otherwise it stores and checks again: that
 * second check is the store-then-check above, so a re-arm between the fault and the store is
 * still caught. Writers without a ring, or with PML (whose log drains only at exits, after
 * the store), and devices (no MMU: they log every write, so one check each) store first.
 * Returns the fault outcome; on FAULT_RING_FULL and FAULT_RING_SOFT_FULL_RETRY the write did
 * not complete and must be retried after a reset.
 */
export function guestWrite(vcpu: usize, desc: usize, page: u32, value: u32, seq: u32): i32 {
  return write(vcpu, desc, page, value, seq);
}

// @ts-ignore: decorator
@inline export function write(vcpu: usize, desc: usize, page: u32, value: u32, seq: u32): i32 {
  if (page >= load<u32>(desc + SLOT_NPAGES)) return FAULT_OUT_OF_RANGE;
  const contents = <usize>load<u32>(desc + SLOT_CONTENTS);
  const truth = contents != 0 ? truthFor(vcpu, desc) : 0;
  if (exitsBeforeStore(vcpu)) {
    const r = fault(vcpu, desc, page);
    if (r == FAULT_RING_SOFT_FULL) return FAULT_RING_SOFT_FULL_RETRY;
    if (r == FAULT_RING_FULL || contents == 0) return r;
    atomic.store<u64>(contents + (<usize>page << PAGE_SHIFT), (<u64>seq << 32) | <u64>value);
    const again = fault(vcpu, desc, page); // store-then-check: FAULT_CLEAN unless re-armed since
    if (truth != 0) setBit(truth, page);
    return again == FAULT_CLEAN ? r : again;
  }
  if (contents == 0) return fault(vcpu, desc, page);
  atomic.store<u64>(contents + (<usize>page << PAGE_SHIFT), (<u64>seq << 32) | <u64>value);
  const r = fault(vcpu, desc, page);
  if (r != FAULT_RING_FULL && truth != 0) setBit(truth, page);
  return r;
}

/** A vCPU with a ring and no PML log: its ring-full exit interrupts the faulting store. */
// @ts-ignore: decorator
@inline export function exitsBeforeStore(vcpu: usize): bool {
  return vcpu != 0
    && load<u32>(vcpu + VCPU_ENTRIES) != 0
    && load<u32>(vcpu + VCPU_PML_BUF) == 0
    && load<u32>(vcpu + VCPU_NO_VCPU) == 0;
}

/**
 * The verifier's ground truth (content mode): the bitmap the collector has published for
 * this kind of writer, read once when the write begins; the completed write is recorded in
 * it after its fault. The collector unpublishes it (stores 0) before it collects, and a vCPU
 * answers the kick that follows only between slices, so a write that read a bitmap finished,
 * fault and all, before the collection began. Reading it at the start matters: a write whose
 * fault ran during a collection (between a CLEAR's clearing and its re-arm, say) must not
 * be recorded even if it finishes after the collector has published a bitmap again. Only
 * completed writes are recorded: a write the full ring refused, or one whose fault tipped
 * the ring (its store never happened), is retried, and recorded then.
 */
// @ts-ignore: decorator
@inline function truthFor(vcpu: usize, desc: usize): usize {
  const ringWriter = vcpu != 0 && load<u32>(vcpu + VCPU_ENTRIES) != 0;
  return <usize>atomic.load<u32>(desc + (ringWriter ? SLOT_TRUTH_RING : SLOT_TRUTH_BITMAP));
}

/**
 * Fault `n` pages read from a u32 array. Stops after a write that fills the ring to its soft
 * limit, or before one the ring cannot hold. Returns the number of pages processed.
 */
export function faultWriteBatch(vcpu: usize, desc: usize, pages: usize, n: u32): u32 {
  for (let i: u32 = 0; i < n; i++) {
    const r = fault(vcpu, desc, load<u32>(pages + (<usize>i << 2)));
    if (r == FAULT_RING_FULL) return i;
    if (r == FAULT_RING_SOFT_FULL) return i + 1;
  }
  return n;
}
