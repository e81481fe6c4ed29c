// One vCPU's dirty ring (KVM's virt/kvm/dirty_ring.c): the kernel's push and reset, and
// userspace's harvest. Indices are free-running u32 counters; index c lives at c & (N-1)
// and occupancy is dirty_index - reset_index in u32 wrap arithmetic.
//
// Two protocols share the ring, chosen per vCPU by VCPU_AVAIL_AT: KVM's per-entry flags
// (0, the default: DIRTY and RESET in each entry, the indices private) and the RFC's shared
// indices (avail_index and fetch_index published in a ring-index block; see ring_index.ts).
// A loop that differs between them is one @inline body taking `indexed` as a constant, so
// each protocol gets its own compiled loop with nothing of the other left in it.
import {
  GFN_SIZE, GFN_F_DIRTY, GFN_F_RESET, GFN_SLOT, GFN_OFFSET,
  VM_CTL, VM_NR_SLOTS, VM_NR_AS, VM_SLOTS, VM_RESET_ABORT, VM_REJECTED_BATCHES, VM_REJECTED_PAGES,
  VCPU_RING, VCPU_ENTRIES, VCPU_SOFT_LIMIT, VCPU_HARVEST_BUF, VCPU_DIRTY_INDEX, VCPU_PUSHES,
  VCPU_HARD_FULL, VCPU_RESET_INDEX, VCPU_FETCH_INDEX, VCPU_RESET_BATCHES, VCPU_AVAIL_AT, VCPU_FETCH_AT, VCPU_RESET_FETCH,
  SLOT_STRIDE, SLOT_NPAGES, SLOT_FLAGS, SLOT_ARMED, SLOT_REARMED, SLOT_F_LOG_DIRTY,
  PUSH_OK, PUSH_SOFT_FULL, PUSH_HARD_FULL, RESET_EINVAL_FETCH,
} from "./layout.generated";
import { gfnFlags, gfnSlot, gfnOffset, gfnMarkDirty, gfnMarkHarvested, gfnMarkReset } from "./dirty_gfn";
import { gfnWritePayload, indexPublishAvail, indexAvail, indexOwnFetch, indexPublishFetch, indexFetchForReset } from "./ring_index";
import { orMask } from "./bitmap";

// @ts-ignore: decorator
@inline function entryAddr(vcpu: usize, index: u32): usize {
  const mask = load<u32>(vcpu + VCPU_ENTRIES) - 1;
  return <usize>load<u32>(vcpu + VCPU_RING) + (<usize>(index & mask) << 4);
}

/** Entries pushed and not yet reset (kvm_dirty_ring_used). */
export function dirtyRingUsed(vcpu: usize): u32 {
  return atomic.load<u32>(vcpu + VCPU_DIRTY_INDEX) - atomic.load<u32>(vcpu + VCPU_RESET_INDEX);
}

/**
 * kvm_dirty_ring_push. KVM never checks the hard limit here because the soft-full exit and
 * the reserved entries keep it away; the model refuses instead of overwriting, since an
 * overwritten entry is a lost page and means the caller ignored the soft-full exit.
 */
export function dirtyRingPush(vcpu: usize, slot: u32, offset: u32): i32 {
  return push(vcpu, slot, offset);
}

// The body, inlined into every caller: V8 does not inline calls between Wasm functions, and
// a call per entry costs a quarter of a push (measured against C, bench/c).
// @ts-ignore: decorator
@inline export function push(vcpu: usize, slot: u32, offset: u32): i32 {
  const avail = <usize>load<u32>(vcpu + VCPU_AVAIL_AT);
  const di = load<u32>(vcpu + VCPU_DIRTY_INDEX); // only this vCPU writes it
  const soft = load<u32>(vcpu + VCPU_SOFT_LIMIT);
  // Acquire: entries below reset_index were cleared before it was published.
  const used = di - atomic.load<u32>(vcpu + VCPU_RESET_INDEX);
  if (used >= load<u32>(vcpu + VCPU_ENTRIES)) {
    atomic.add<u32>(vcpu + VCPU_HARD_FULL, 1);
    return PUSH_HARD_FULL;
  }
  const e = entryAddr(vcpu, di);
  if (avail != 0) {
    gfnWritePayload(e, slot, <u64>offset);
    indexPublishAvail(avail, di + 1);
  } else {
    gfnMarkDirty(e, slot, <u64>offset);
  }
  // dirty_index is the producer's private counter (kernel memory in KVM; the RFC copies it to
  // avail_index): the consumer follows the DIRTY flags or avail_index, so a plain store
  // suffices; readers of occupancy are stats.
  store<u32>(vcpu + VCPU_DIRTY_INDEX, di + 1);
  store<u64>(vcpu + VCPU_PUSHES, load<u64>(vcpu + VCPU_PUSHES) + 1);
  return used + 1 >= soft ? PUSH_SOFT_FULL : PUSH_OK;
}

/**
 * Push `n` page offsets read from a u32 array: the kernel logging a burst (benchmarks).
 * The ring's geometry and the producer's indices stay in locals for the whole burst.
 */
export function dirtyRingPushBatch(vcpu: usize, slot: u32, pages: usize, n: u32): u32 {
  return load<u32>(vcpu + VCPU_AVAIL_AT) != 0 ? pushBatch(vcpu, slot, pages, n, true) : pushBatch(vcpu, slot, pages, n, false);
}

// @ts-ignore: decorator
@inline function pushBatch(vcpu: usize, slot: u32, pages: usize, n: u32, indexed: bool): u32 {
  const ring = <usize>load<u32>(vcpu + VCPU_RING);
  const mask = load<u32>(vcpu + VCPU_ENTRIES) - 1;
  const soft = load<u32>(vcpu + VCPU_SOFT_LIMIT);
  const avail = indexed ? <usize>load<u32>(vcpu + VCPU_AVAIL_AT) : 0;
  let di = load<u32>(vcpu + VCPU_DIRTY_INDEX);
  // reset_index only grows while we push, so a copy read now can only overstate occupancy:
  // it is read again only when it puts the ring at its soft limit.
  let ri = atomic.load<u32>(vcpu + VCPU_RESET_INDEX);
  let i: u32 = 0;
  for (; i < n; i++) {
    if (di - ri >= soft - 1) { // not used + 1 >= soft: used may be 2^32 - 1 after a forged reset
      ri = atomic.load<u32>(vcpu + VCPU_RESET_INDEX);
      if (di - ri > mask) {
        atomic.add<u32>(vcpu + VCPU_HARD_FULL, 1);
        break;
      }
    }
    const e = ring + (<usize>(di & mask) << 4);
    const offset = <u64>load<u32>(pages + (<usize>i << 2));
    if (indexed) {
      gfnWritePayload(e, slot, offset);
      indexPublishAvail(avail, di + 1); // per push, as the RFC's kvm_dirty_ring_push
    } else {
      gfnMarkDirty(e, slot, offset);
    }
    di++;
  }
  store<u32>(vcpu + VCPU_DIRTY_INDEX, di);
  store<u64>(vcpu + VCPU_PUSHES, load<u64>(vcpu + VCPU_PUSHES) + i);
  return i;
}

/**
 * Userspace's collection: from the private fetch index, take entries strictly in order while
 * they are DIRTY, copy each into the harvest buffer (same 16-byte format) and hand it back
 * as RESET. Stops at the first entry that is not DIRTY (empty, or harvested and not yet reset).
 * Shared indices: take the entries from fetch_index up to avail_index, and publish
 * fetch_index once; no entry is written.
 */
export function dirtyRingHarvest(vcpu: usize, max: u32): u32 {
  if (load<u32>(vcpu + VCPU_FETCH_AT) != 0) return harvestIndexed(vcpu, max);
  const out = <usize>load<u32>(vcpu + VCPU_HARVEST_BUF);
  const ring = <usize>load<u32>(vcpu + VCPU_RING);
  const entries = load<u32>(vcpu + VCPU_ENTRIES);
  const mask = entries - 1;
  if (max > entries) max = entries; // the harvest buffer holds one ring's worth
  let fetch = load<u32>(vcpu + VCPU_FETCH_INDEX);
  let n: u32 = 0;
  while (n < max) {
    const e = ring + (<usize>(fetch & mask) << 4);
    if (gfnFlags(e) != GFN_F_DIRTY) break;
    const rec = out + (<usize>n << 4);
    store<u32>(rec + GFN_SLOT, gfnSlot(e));
    store<u64>(rec + GFN_OFFSET, gfnOffset(e));
    gfnMarkHarvested(e);
    fetch++;
    n++;
  }
  // Publishes the batch's RESET flags (see gfnMarkHarvested).
  atomic.store<u32>(vcpu + VCPU_FETCH_INDEX, fetch);
  return n;
}

function harvestIndexed(vcpu: usize, max: u32): u32 {
  const out = <usize>load<u32>(vcpu + VCPU_HARVEST_BUF);
  const ring = <usize>load<u32>(vcpu + VCPU_RING);
  const entries = load<u32>(vcpu + VCPU_ENTRIES);
  const mask = entries - 1;
  const fetchAt = <usize>load<u32>(vcpu + VCPU_FETCH_AT);
  const fetch = indexOwnFetch(fetchAt);
  let n = indexAvail(<usize>load<u32>(vcpu + VCPU_AVAIL_AT)) - fetch;
  if (n > max) n = max;
  if (n > entries) n = entries; // the harvest buffer holds one ring's worth
  for (let i: u32 = 0; i < n; i++) {
    const e = ring + (<usize>((fetch + i) & mask) << 4);
    const rec = out + (<usize>i << 4);
    store<u32>(rec + GFN_SLOT, gfnSlot(e));
    store<u64>(rec + GFN_OFFSET, gfnOffset(e));
  }
  indexPublishFetch(fetchAt, fetch + n);
  return n;
}

/**
 * Re-arm one coalesced batch, after KVM's checks (kvm_reset_dirty_gfn). A batch that fails
 * them re-arms nothing, but its entries were already reset and counted, as in KVM. Inlined
 * into the reset walk: a random walk re-arms one batch per entry, and V8 does not inline
 * calls between Wasm functions.
 */
// @ts-ignore: decorator
@inline function reprotect(slot: u32, base: u64, mask: u64): bool {
  const asId = slot >> 16;
  const id = slot & 0xffff;
  let ok = asId < load<u32>(VM_CTL + VM_NR_AS) && id < load<u32>(VM_CTL + VM_NR_SLOTS);
  if (ok) {
    const desc = <usize>load<u32>(VM_CTL + VM_SLOTS) + <usize>id * SLOT_STRIDE;
    const npages = <u64>load<u32>(desc + SLOT_NPAGES);
    // base >= npages first: it also rejects the wrapped pair (2^64-63, then 0) whose
    // base + 63 would overflow to a small number (KVM's May 2026 fix).
    ok = npages != 0
      && (load<u32>(desc + SLOT_FLAGS) & SLOT_F_LOG_DIRTY) != 0
      && base < npages
      && base + (63 - clz(mask)) < npages;
    if (ok) {
      orMask(<usize>load<u32>(desc + SLOT_ARMED), <u32>base, mask);
      const rearmed = <usize>atomic.load<u32>(desc + SLOT_REARMED); // the verifier's record (content mode)
      if (rearmed != 0) orMask(rearmed, <u32>base, mask);
      return true;
    }
  }
  atomic.add<u32>(VM_CTL + VM_REJECTED_BATCHES, 1);
  atomic.add<u32>(VM_CTL + VM_REJECTED_PAGES, <u32>popcnt(mask));
  return false;
}

/**
 * kvm_dirty_ring_reset for one ring: walk from reset_index while entries carry RESET,
 * clear them, and coalesce their offsets into (slot, base, 64-bit mask) batches. Entries
 * are untrusted input. The walk stops after `limit` entries (KVM: INT_MAX shared by all
 * rings) or when VM_RESET_ABORT is set (KVM: a pending signal). Returns entries reset.
 */
function dirtyRingReset(vcpu: usize, limit: u32): u32 {
  return resetWalk(vcpu, limit, false);
}

/**
 * The RFC's kvm_dirty_ring_reset: walk from reset_index to the fetch_index validated by
 * dirtyRingsReset (VCPU_RESET_FETCH), at most the ring's size, writing no entry. Slot and
 * offset are still untrusted (the ring is mapped writable, as in the RFC), so every batch
 * goes through the same checks. No signal check: the walk is bounded by the one validated
 * number. Returns entries reset.
 */
function indexedRingReset(vcpu: usize, limit: u32): u32 {
  return resetWalk(vcpu, limit, true);
}

// @ts-ignore: decorator
@inline function resetWalk(vcpu: usize, limit: u32, indexed: bool): u32 {
  // Flags: acquire the harvester's batch (see gfnMarkHarvested) before reading any flag.
  // Indices: dirtyRingsReset already loaded fetch_index, which is that acquire.
  if (!indexed) atomic.load<u32>(vcpu + VCPU_FETCH_INDEX);
  const ring = <usize>load<u32>(vcpu + VCPU_RING);
  const indexMask = load<u32>(vcpu + VCPU_ENTRIES) - 1;
  const ri0 = load<u32>(vcpu + VCPU_RESET_INDEX); // only the resetter writes it
  // Indices: the walk ends at the validated fetch_index, so that is its bound.
  if (indexed) {
    const upTo = load<u32>(vcpu + VCPU_RESET_FETCH) - ri0;
    if (upTo < limit) limit = upTo;
  }
  // The count is ri - ri0 (u32 wrap arithmetic), and few values stay live across the loop:
  // V8 keeps them in registers instead of spilling them on every entry.
  let ri = ri0;
  let curSlot: u32 = 0;
  let base: u64 = 0;
  let mask: u64 = 0; // 0 = no open batch
  let batches: u32 = 0;
  while (ri - ri0 < limit) {
    const e = ring + (<usize>(ri & indexMask) << 4);
    if (!indexed) {
      if (atomic.load<u32>(VM_CTL + VM_RESET_ABORT) != 0) break;
      if ((gfnFlags(e) & GFN_F_RESET) == 0) break; // bit0 is ignored, as in KVM
    }
    const s = gfnSlot(e);
    const o = gfnOffset(e);
    if (!indexed) gfnMarkReset(e);
    ri++;
    if (s == curSlot && mask != 0) {
      // Forward or duplicate hit: o - base in [0, 64) as a u64 is KVM's signed delta in [0, 64).
      const d = o - base;
      if (d < 64) {
        mask |= <u64>1 << d;
        continue;
      }
      // Backward visit: rebase if no set bit falls off the top when shifting left by base - o.
      const back = base - o;
      if (back < 64 && clz(mask) >= back) {
        mask = (mask << back) | 1;
        base = o;
        continue;
      }
    }
    if (mask != 0 && reprotect(curSlot, base, mask)) batches++;
    curSlot = s;
    base = o;
    mask = 1;
  }
  // KVM returns on a pending signal without flushing the open batch, which would leave
  // those pages disarmed with their entries gone: a lost page. We always flush.
  if (mask != 0 && reprotect(curSlot, base, mask)) batches++;
  // Resets are serialised (KVM holds slots_lock), so a plain add is enough.
  store<u32>(vcpu + VCPU_RESET_BATCHES, load<u32>(vcpu + VCPU_RESET_BATCHES) + batches);
  // Release: the producer may reuse these entries only after it sees the new index.
  atomic.store<u32>(vcpu + VCPU_RESET_INDEX, ri);
  return ri - ri0;
}

/**
 * KVM_RESET_DIRTY_RINGS over the `n` vCPUs whose control-block offsets are the u32s at
 * `list`, at most `limit` entries in all: one call for a whole VM's rings. Shared-indices
 * rings are checked first, all of them: each fetch_index is read once and must be at most the
 * ring's size past its reset_index (the RFC's `fetch - reset_index > size` is -EINVAL); one
 * that is not fails the call with RESET_EINVAL_FETCH - i (i its place in the list) before
 * any ring is reset.
 */
export function dirtyRingsReset(list: usize, n: u32, limit: u32): i32 {
  for (let i: u32 = 0; i < n; i++) {
    const vcpu = <usize>load<u32>(list + (<usize>i << 2));
    const fetchAt = <usize>load<u32>(vcpu + VCPU_FETCH_AT);
    if (fetchAt == 0) continue;
    const fetch = indexFetchForReset(fetchAt);
    if (fetch - load<u32>(vcpu + VCPU_RESET_INDEX) > load<u32>(vcpu + VCPU_ENTRIES)) return RESET_EINVAL_FETCH - <i32>i;
    store<u32>(vcpu + VCPU_RESET_FETCH, fetch); // the copy the walk goes to: only the resetter writes it
  }
  let count: u32 = 0;
  for (let i: u32 = 0; i < n && count < limit; i++) {
    const vcpu = <usize>load<u32>(list + (<usize>i << 2));
    count += load<u32>(vcpu + VCPU_FETCH_AT) != 0 ? indexedRingReset(vcpu, limit - count) : dirtyRingReset(vcpu, limit - count);
  }
  return <i32>count;
}
