// The VMM's side of collection: fold harvested ring entries and GET snapshots into its own
// per-slot "collected" bitmap (QEMU's kvmslot dirty bitmap), move each sync's pages into the
// round's, and compare bitmaps for the verifier. Only the collector writes these bitmaps.
import {
  GFN_SLOT, GFN_OFFSET, VM_CTL, VM_NR_AS, VM_NR_SLOTS, VM_SLOTS, VCPU_HARVEST_BUF,
  SLOT_STRIDE, SLOT_NPAGES, SLOT_COLLECTED,
} from "./layout.generated";
import { nextNonzeroWord, nextAfter } from "./bitmap";

/**
 * Mark the first `n` records of the vCPU's harvest buffer in their slots' collected bitmaps.
 * Entries are untrusted, as in QEMU's kvm_dirty_ring_mark_page: a record with an unknown
 * address space or slot, or an offset past the slot's end, is skipped. Returns skipped records.
 */
export function collectHarvested(vcpu: usize, n: u32): u32 {
  const buf = <usize>load<u32>(vcpu + VCPU_HARVEST_BUF);
  const nrAs = load<u32>(VM_CTL + VM_NR_AS);
  const nrSlots = load<u32>(VM_CTL + VM_NR_SLOTS);
  const slots = <usize>load<u32>(VM_CTL + VM_SLOTS);
  let skipped: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const rec = buf + (<usize>i << 4);
    const slot = load<u32>(rec + GFN_SLOT);
    const offset = load<u64>(rec + GFN_OFFSET);
    const id = slot & 0xffff;
    const desc = slots + <usize>id * SLOT_STRIDE;
    if ((slot >> 16) >= nrAs || id >= nrSlots || offset >= <u64>load<u32>(desc + SLOT_NPAGES)) {
      skipped++;
      continue;
    }
    const w = <usize>load<u32>(desc + SLOT_COLLECTED) + (<usize>(offset >> 6) << 3);
    store<u64>(w, load<u64>(w) | (<u64>1 << (offset & 63)));
  }
  return skipped;
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
