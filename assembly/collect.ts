// The VMM's side of collection: fold harvested ring entries and GET snapshots into its own
// per-slot "collected" bitmap (QEMU's kvmslot dirty bitmap), move each sync's pages into the
// round's, and compare bitmaps for the verifier. Only the collector writes these bitmaps.
import {
  GFN_SLOT, GFN_OFFSET, GFN_F_DIRTY, VM_CTL, VM_NR_AS, VM_NR_SLOTS, VM_SLOTS, VM_COLLECTOR_SKIPPED,
  VCPU_HARVEST_BUF, VCPU_RING, VCPU_ENTRIES, VCPU_FETCH_INDEX, VCPU_AVAIL_AT, VCPU_FETCH_AT, SLOT_STRIDE, SLOT_NPAGES, SLOT_COLLECTED,
} from "./layout.generated";
import { gfnFlags, gfnSlot, gfnOffset, gfnMarkHarvested } from "./dirty_gfn";
import { indexAvail, indexOwnFetch, indexPublishFetch } from "./ring_index";
import { nextNonzeroWord, nextAfter } from "./bitmap";

/**
 * Mark one harvested (slot, offset) in its slot's collected bitmap. Entries are untrusted, as
 * in QEMU's kvm_dirty_ring_mark_page: an unknown address space or slot, or an offset past the
 * slot's end, is not marked. Returns false when it was skipped.
 */
// @ts-ignore: decorator
@inline function markGfn(slots: usize, nrSlots: u32, nrAs: u32, slot: u32, offset: u64): bool {
  const id = slot & 0xffff;
  const desc = slots + <usize>id * SLOT_STRIDE;
  if ((slot >> 16) >= nrAs || id >= nrSlots || offset >= <u64>load<u32>(desc + SLOT_NPAGES)) return false;
  const w = <usize>load<u32>(desc + SLOT_COLLECTED) + (<usize>(offset >> 6) << 3);
  store<u64>(w, load<u64>(w) | (<u64>1 << (offset & 63))); // only the collector writes it
  return true;
}

/** Mark the first `n` records of the vCPU's harvest buffer in their slots' collected bitmaps; returns records skipped. */
export function collectHarvested(vcpu: usize, n: u32): u32 {
  const buf = <usize>load<u32>(vcpu + VCPU_HARVEST_BUF);
  const nrAs = load<u32>(VM_CTL + VM_NR_AS);
  const nrSlots = load<u32>(VM_CTL + VM_NR_SLOTS);
  const slots = <usize>load<u32>(VM_CTL + VM_SLOTS);
  let skipped: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const rec = buf + (<usize>i << 4);
    if (!markGfn(slots, nrSlots, nrAs, load<u32>(rec + GFN_SLOT), load<u64>(rec + GFN_OFFSET))) skipped++;
  }
  return skipped;
}

/**
 * QEMU's kvm_dirty_ring_reap_one for the `n` vCPUs whose control-block offsets are the u32s
 * at `list`: harvest each ring and mark every entry straight into the collected bitmaps, in
 * one call and one pass over the entries (no harvest-buffer copy), at most `max` entries per
 * ring (a reap in chunks lets a vCPU in a full exit go on after the first chunk's reset). The flag handshake is
 * dirtyRingHarvest's: plain RESET stores, one publishing store of the fetch index per ring;
 * with shared indices, the entries up to avail_index and one store of fetch_index per ring.
 * Returns the entries harvested; skipped ones are added to VM_COLLECTOR_SKIPPED.
 */
export function dirtyRingsCollect(list: usize, n: u32, max: u32): u32 {
  const nrAs = load<u32>(VM_CTL + VM_NR_AS);
  const nrSlots = load<u32>(VM_CTL + VM_NR_SLOTS);
  const slots = <usize>load<u32>(VM_CTL + VM_SLOTS);
  let total: u32 = 0;
  let skipped: u32 = 0;
  for (let v: u32 = 0; v < n; v++) {
    const vcpu = <usize>load<u32>(list + (<usize>v << 2));
    const ring = <usize>load<u32>(vcpu + VCPU_RING);
    const entries = load<u32>(vcpu + VCPU_ENTRIES);
    const mask = entries - 1;
    const most = max < entries ? max : entries;
    const fetchAt = <usize>load<u32>(vcpu + VCPU_FETCH_AT);
    if (fetchAt != 0) {
      const from = indexOwnFetch(fetchAt);
      let taken = indexAvail(<usize>load<u32>(vcpu + VCPU_AVAIL_AT)) - from;
      if (taken > most) taken = most;
      if (taken == 0) continue;
      for (let i: u32 = 0; i < taken; i++) {
        const e = ring + (<usize>((from + i) & mask) << 4);
        if (!markGfn(slots, nrSlots, nrAs, gfnSlot(e), gfnOffset(e))) skipped++;
      }
      indexPublishFetch(fetchAt, from + taken);
      total += taken;
      continue;
    }
    let fetch = load<u32>(vcpu + VCPU_FETCH_INDEX);
    let taken: u32 = 0;
    while (taken < most) {
      const e = ring + (<usize>(fetch & mask) << 4);
      if (gfnFlags(e) != GFN_F_DIRTY) break;
      if (!markGfn(slots, nrSlots, nrAs, gfnSlot(e), gfnOffset(e))) skipped++;
      gfnMarkHarvested(e);
      fetch++;
      taken++;
    }
    if (taken == 0) continue;
    atomic.store<u32>(vcpu + VCPU_FETCH_INDEX, fetch); // publishes the batch's RESET flags
    total += taken;
  }
  if (skipped != 0) atomic.add<u32>(VM_CTL + VM_COLLECTOR_SKIPPED, skipped);
  return total;
}

/** dst |= src over `npages` bits, skipping zero blocks of src. Returns the bits set in src. */
export function bitmapOr(dst: usize, src: usize, npages: u32): u32 {
  const n = (npages + 63) >> 6;
  let count: u32 = 0;
  let i = nextNonzeroWord(src, 0, n);
  while (i < n) {
    const v = load<u64>(src + (<usize>i << 3));
    const d = dst + (<usize>i << 3);
    store<u64>(d, load<u64>(d) | v);
    count += <u32>popcnt(v);
    i = nextAfter(src, i, n);
  }
  return count;
}

/**
 * Move a bitmap into another: dst |= src, then src = 0, touching only src's nonzero words.
 * The VMM's "this sync's pages into this round's pages"; returns the bits moved.
 */
export function bitmapDrain(dst: usize, src: usize, npages: u32): u32 {
  const n = (npages + 63) >> 6;
  let count: u32 = 0;
  let i = nextNonzeroWord(src, 0, n);
  while (i < n) {
    const s = src + (<usize>i << 3);
    const v = load<u64>(s);
    const d = dst + (<usize>i << 3);
    store<u64>(d, load<u64>(d) | v);
    store<u64>(s, 0);
    count += <u32>popcnt(v);
    i = nextAfter(src, i, n);
  }
  return count;
}

/**
 * dst &= ~src over `npages` bits: what is left of dst is what src lacks (the verifier's
 * "written but never collected"). Returns the bits left in dst.
 */
export function bitmapAndNot(dst: usize, src: usize, npages: u32): u32 {
  const n = (npages + 63) >> 6;
  let count: u32 = 0;
  let i = nextNonzeroWord(dst, 0, n);
  while (i < n) {
    const d = dst + (<usize>i << 3);
    const v = load<u64>(d) & ~load<u64>(src + (<usize>i << 3));
    store<u64>(d, v);
    count += <u32>popcnt(v);
    i = nextAfter(dst, i, n);
  }
  return count;
}
