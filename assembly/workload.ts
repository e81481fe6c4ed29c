// Guest workloads, run by a vCPU thread in slices. All state lives in the vCPU's control
// block (no module globals), so a slice can resume in any instance of the module.
import {
  VCPU_W_PATTERN, VCPU_W_START, VCPU_W_PAGES, VCPU_W_CURSOR, VCPU_W_STRIDE, VCPU_W_ZIPF, VCPU_W_ZIPF_N,
  VCPU_W_PASSES, VCPU_W_RNG, VCPU_W_SLOT, VCPU_PENDING_PAGE, VCPU_WRITES,
  PATTERN_RANDOM, PATTERN_ZIPF, PATTERN_STRIDED, FAULT_RING_FULL, FAULT_RING_SOFT_FULL, FAULT_RING_SOFT_FULL_RETRY,
  SLICE_DONE, SLICE_RING_FULL, SLICE_SHIFT,
  SLOT_CONTENTS, SLOT_NPAGES, SLOT_ARMED, SLOT_ID, SLOT_FLAGS, SLOT_F_LOG_DIRTY,
  VCPU_RING, VCPU_ENTRIES, VCPU_SOFT_LIMIT, VCPU_DIRTY_INDEX, VCPU_RESET_INDEX, VCPU_HARD_FULL, VCPU_PUSHES,
} from "./layout.generated";
import { write, exitsBeforeStore } from "./fault";
import { testAndDisarm, setBit } from "./bitmap";
import { gfnMarkDirty } from "./dirty_gfn";

/** xorshift64*: the top 32 bits of the output. */
function next32(vcpu: usize): u32 {
  let x = load<u64>(vcpu + VCPU_W_RNG);
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  store<u64>(vcpu + VCPU_W_RNG, x);
  return <u32>((x * 0x2545F4914F6CDD1D) >> 32);
}

/** Uniform in [0, n) without division: the high half of a 32x32 product. */
// @ts-ignore: decorator
@inline function below(r: u32, n: u32): u32 {
  return <u32>((<u64>r * <u64>n) >> 32);
}

/** The next page this vCPU's workload writes. */
export function nextPage(vcpu: usize): u32 {
  return pickPage(vcpu);
}

// nextPage's body, inlined into the slice loops (V8 does not inline calls between Wasm functions).
// @ts-ignore: decorator
@inline function pickPage(vcpu: usize): u32 {
  const pattern = load<u32>(vcpu + VCPU_W_PATTERN);
  const n = load<u32>(vcpu + VCPU_W_PAGES);
  const start = load<u32>(vcpu + VCPU_W_START);
  if (pattern == PATTERN_RANDOM) return start + below(next32(vcpu), n);
  if (pattern == PATTERN_ZIPF) {
    // Smallest rank whose cumulative probability (scaled to 2^32) exceeds u.
    const cdf = <usize>load<u32>(vcpu + VCPU_W_ZIPF);
    const u = next32(vcpu);
    let lo: u32 = 0;
    let hi = load<u32>(vcpu + VCPU_W_ZIPF_N) - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (load<u32>(cdf + (<usize>mid << 2)) > u) hi = mid;
      else lo = mid + 1;
    }
    // Scatter ranks over the region so the hot pages are not neighbours.
    return start + <u32>((<u64>lo * 0x9E3779B1) % <u64>n);
  }
  // Sequential, memstress and strided walk the region from a cursor.
  const i = load<u32>(vcpu + VCPU_W_CURSOR);
  const step = pattern == PATTERN_STRIDED ? load<u32>(vcpu + VCPU_W_STRIDE) : 1;
  let next = <u64>i + <u64>step;
  if (next >= <u64>n) {
    next %= <u64>n;
    store<u32>(vcpu + VCPU_W_PASSES, load<u32>(vcpu + VCPU_W_PASSES) + 1);
  }
  store<u32>(vcpu + VCPU_W_CURSOR, <u32>next);
  return start + i;
}

/**
 * Run up to `maxWrites` guest writes stamped with `stamp` and the vCPU's write count. A write
 * that did not complete (refused by a full ring, or whose fault took the ring to its soft
 * limit, so the vCPU exited before its store) is kept as pending, not counted, and retried
 * first next time, after the reset. Returns reason << SLICE_SHIFT | writes, where the reason
 * is SLICE_RING_FULL when the vCPU must exit and wait for a reset.
 */
export function runSlice(vcpu: usize, maxWrites: u32, stamp: u32): u32 {
  const desc = <usize>load<u32>(vcpu + VCPU_W_SLOT);
  if (load<u32>(desc + SLOT_CONTENTS) == 0 && exitsBeforeStore(vcpu)) return runSliceRing(vcpu, desc, maxWrites);
  const seq = <u32>load<u64>(vcpu + VCPU_WRITES);
  let written: u32 = 0;
  let reason = SLICE_DONE;
  while (written < maxWrites) {
    const pending = load<u32>(vcpu + VCPU_PENDING_PAGE);
    const page = pending != 0 ? pending - 1 : pickPage(vcpu);
    const r = write(vcpu, desc, page, stamp, seq + written);
    if (r == FAULT_RING_FULL || r == FAULT_RING_SOFT_FULL_RETRY) {
      store<u32>(vcpu + VCPU_PENDING_PAGE, page + 1);
      reason = SLICE_RING_FULL;
      break;
    }
    store<u32>(vcpu + VCPU_PENDING_PAGE, 0);
    written++;
    if (r == FAULT_RING_SOFT_FULL) {
      reason = SLICE_RING_FULL;
      break;
    }
  }
  store<u64>(vcpu + VCPU_WRITES, load<u64>(vcpu + VCPU_WRITES) + written);
  return (reason << SLICE_SHIFT) | written;
}

/**
 * runSlice for the transfer benchmark's case, a vCPU with a ring and no PML writing a slot
 * without page contents: write's outcomes exactly (a write that tips the ring to its soft
 * limit is retried after the reset), with the slot's and the ring's geometry in locals and
 * the producer's counters (dirty_index, pushes) stored once per slice. Nothing on another
 * thread reads dirty_index: the collector follows the DIRTY flags and the reset the RESET
 * flags, as in KVM, where the index is kernel memory. reset_index is still loaded (acquire)
 * at every push, as kvm_dirty_ring_used does: a reset walked past dirty_index by forged
 * entries must stop the vCPU at once, as it would on KVM.
 */
function runSliceRing(vcpu: usize, desc: usize, maxWrites: u32): u32 {
  const npages = load<u32>(desc + SLOT_NPAGES);
  const armed = <usize>load<u32>(desc + SLOT_ARMED);
  const slotId = load<u32>(desc + SLOT_ID);
  const ring = <usize>load<u32>(vcpu + VCPU_RING);
  const entries = load<u32>(vcpu + VCPU_ENTRIES);
  const soft = load<u32>(vcpu + VCPU_SOFT_LIMIT);
  const di0 = load<u32>(vcpu + VCPU_DIRTY_INDEX);
  let di = di0;
  let pending = load<u32>(vcpu + VCPU_PENDING_PAGE);
  let written: u32 = 0;
  let reason = SLICE_DONE;
  while (written < maxWrites) {
    const page = pending != 0 ? pending - 1 : pickPage(vcpu);
    pending = 0;
    // FAULT_OUT_OF_RANGE and FAULT_CLEAN (not armed, or the slot stopped logging) complete.
    if (page < npages && testAndDisarm(armed, page) && (atomic.load<u32>(desc + SLOT_FLAGS) & SLOT_F_LOG_DIRTY) != 0) {
      const used = di - atomic.load<u32>(vcpu + VCPU_RESET_INDEX);
      if (used >= entries) { // FAULT_RING_FULL: nothing logged, the page stays armed
        atomic.add<u32>(vcpu + VCPU_HARD_FULL, 1);
        setBit(armed, page);
        pending = page + 1;
        reason = SLICE_RING_FULL;
        break;
      }
      gfnMarkDirty(ring + (<usize>(di & (entries - 1)) << 4), slotId, <u64>page);
      di++;
      if (used + 1 >= soft) { // FAULT_RING_SOFT_FULL_RETRY: logged, the store never happened
        pending = page + 1;
        reason = SLICE_RING_FULL;
        break;
      }
    }
    written++;
  }
  store<u32>(vcpu + VCPU_DIRTY_INDEX, di);
  store<u64>(vcpu + VCPU_PUSHES, load<u64>(vcpu + VCPU_PUSHES) + <u64>(di - di0));
  store<u32>(vcpu + VCPU_PENDING_PAGE, pending);
  store<u64>(vcpu + VCPU_WRITES, load<u64>(vcpu + VCPU_WRITES) + written);
  return (reason << SLICE_SHIFT) | written;
}
