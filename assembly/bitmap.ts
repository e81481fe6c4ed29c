// Per-slot bitmaps: one bit per page in little-endian 64-bit words, as KVM's
// set_bit_le on a 64-bit host. Two bitmaps matter:
//   armed: 1 = the page is write-protected (SPTE read-only / D-bit clear); the next
//          write faults, disarms it and logs it. This is the model of KVM's re-arming.
//   dirty: KVM's memslot dirty bitmap (bitmap mode, or the ring's backup bitmap).
import {
  SLOT_NPAGES, SLOT_ARMED, SLOT_DIRTY, SLOT_SNAPSHOT, SLOT_CLEAR_ARG, SLOT_REARMED,
  CLEAR_EINVAL_FIRST_PAGE, CLEAR_EINVAL_NUM_PAGES, CLEAR_EINVAL_RANGE,
} from "./layout.generated";


// @ts-ignore: decorator
@inline function wordCount(npages: u32): u32 {
  return (npages + 63) >> 6;
}

// @ts-ignore: decorator
@inline function wordAddr(bitmap: usize, i: u32): usize {
  return bitmap + (<usize>i << 3);
}

/**
 * Index of the first nonzero 64-bit word in [i, n), or n. Sparse bitmaps are mostly zero,
 * so aligned 64-byte blocks are OR-ed in SIMD registers and skipped with one test.
 */
export function nextNonzeroWord(bitmap: usize, i: u32, n: u32): u32 {
  while (i < n && (i & 7) != 0) {
    if (load<u64>(wordAddr(bitmap, i)) != 0) return i;
    i++;
  }
  while (i + 8 <= n) {
    const p = wordAddr(bitmap, i);
    const v = v128.or(
      v128.or(v128.load(p), v128.load(p, 16)),
      v128.or(v128.load(p, 32), v128.load(p, 48)),
    );
    if (v128.any_true(v)) break;
    i += 8;
  }
  while (i < n) {
    if (load<u64>(wordAddr(bitmap, i)) != 0) return i;
    i++;
  }
  return n;
}

/**
 * The next nonzero word after i: dense bitmaps usually have it right there, so test it inline
 * and pay for the scan call only when it is zero (a call per dirty word halved GET at 50 %).
 */
// @ts-ignore: decorator
@inline export function nextAfter(bitmap: usize, i: u32, n: u32): u32 {
  const j = i + 1;
  return j < n && load<u64>(wordAddr(bitmap, j)) != 0 ? j : nextNonzeroWord(bitmap, j, n);
}

/** Set bits [0, npages) and clear the rest of the last word (ones), or clear all (zero). */
export function bitmapFill(bitmap: usize, npages: u32, ones: bool): void {
  const full = npages >> 6;
  memory.fill(bitmap, ones ? 0xff : 0, <usize>full << 3);
  const tail = npages & 63;
  if (tail != 0) store<u64>(wordAddr(bitmap, full), ones ? (<u64>1 << tail) - 1 : 0);
}

/** Number of set bits, skipping zero blocks. */
export function bitmapCount(bitmap: usize, npages: u32): u32 {
  const n = wordCount(npages);
  let count: u32 = 0;
  let i = nextNonzeroWord(bitmap, 0, n);
  while (i < n) {
    count += <u32>popcnt(load<u64>(wordAddr(bitmap, i)));
    i = nextAfter(bitmap, i, n);
  }
  return count;
}

/** Clear a page's armed bit. True if this caller disarmed it (and so must log it). */
// @ts-ignore: decorator
@inline export function testAndDisarm(armed: usize, page: u32): bool {
  const w = wordAddr(armed, page >> 6);
  const bit = <u64>1 << (page & 63);
  // Fast path: a disarmed page costs one load. The atomic AND below decides races:
  // of several writers only the one that sees the bit still set logs the page.
  if ((atomic.load<u64>(w) & bit) == 0) return false;
  return (atomic.and<u64>(w, ~bit) & bit) != 0;
}

/** Set one bit (mark_page_dirty's set_bit_le, or a re-arm). */
// @ts-ignore: decorator
@inline export function setBit(bitmap: usize, page: u32): void {
  atomic.or<u64>(wordAddr(bitmap, page >> 6), <u64>1 << (page & 63));
}

/**
 * OR a 64-page mask starting at any page into a bitmap: the re-arm of one coalesced reset
 * batch. An unaligned base spans two words; the caller has checked base + top bit < npages.
 */
export function orMask(bitmap: usize, base: u32, mask: u64): void {
  const sh = <u64>(base & 63);
  const w = wordAddr(bitmap, base >> 6);
  atomic.or<u64>(w, mask << sh);
  if (sh != 0) {
    const hi = mask >> (64 - sh);
    if (hi != 0) atomic.or<u64>(w + 8, hi);
  }
}

/**
 * KVM_GET_DIRTY_LOG without manual protect: for each nonzero word, exchange it with 0,
 * keep the old value in the snapshot and re-arm exactly those pages. Returns dirty pages.
 */
export function getDirtyLog(desc: usize): u32 {
  const n = wordCount(load<u32>(desc + SLOT_NPAGES));
  const dirty = <usize>load<u32>(desc + SLOT_DIRTY);
  const armed = <usize>load<u32>(desc + SLOT_ARMED);
  const snap = <usize>load<u32>(desc + SLOT_SNAPSHOT);
  const rearmed = <usize>atomic.load<u32>(desc + SLOT_REARMED); // the verifier's record (content mode)
  memory.fill(snap, 0, <usize>n << 3);
  let count: u32 = 0;
  let i = nextNonzeroWord(dirty, 0, n);
  while (i < n) {
    // Exchange before re-arming: a write landing in between finds the page disarmed and
    // goes unlogged, which is safe because the page is already in this snapshot and the
    // host copies contents only after GET returns.
    const old = atomic.xchg<u64>(wordAddr(dirty, i), 0);
    store<u64>(wordAddr(snap, i), old);
    atomic.or<u64>(wordAddr(armed, i), old);
    if (rearmed != 0) atomic.or<u64>(wordAddr(rearmed, i), old);
    count += <u32>popcnt(old);
    i = nextAfter(dirty, i, n);
  }
  return count;
}

/** KVM_GET_DIRTY_LOG with manual protect: copy the live bitmap; no clearing, no re-arming. */
export function getDirtyLogManual(desc: usize): u32 {
  const npages = load<u32>(desc + SLOT_NPAGES);
  const snap = <usize>load<u32>(desc + SLOT_SNAPSHOT);
  memory.copy(snap, <usize>load<u32>(desc + SLOT_DIRTY), <usize>wordCount(npages) << 3);
  return bitmapCount(snap, npages);
}

/**
 * KVM_CLEAR_DIRTY_LOG: bit j of the clear-arg bitmap names page first + j. Clears only the
 * given bits, re-arms only bits that were actually set, ignores bits past the slot end.
 * Returns pages re-armed, or a negative CLEAR_EINVAL_* code (nothing changed).
 */
export function clearDirtyLog(desc: usize, first: u32, num: u32): i32 {
  const npages = load<u32>(desc + SLOT_NPAGES);
  if ((first & 63) != 0) return CLEAR_EINVAL_FIRST_PAGE;
  const end = <u64>first + <u64>num;
  if (end > <u64>npages) return CLEAR_EINVAL_RANGE;
  if ((num & 63) != 0 && end != <u64>npages) return CLEAR_EINVAL_NUM_PAGES;
  const dirty = <usize>load<u32>(desc + SLOT_DIRTY);
  const armed = <usize>load<u32>(desc + SLOT_ARMED);
  const arg = <usize>load<u32>(desc + SLOT_CLEAR_ARG);
  const rearmed = <usize>atomic.load<u32>(desc + SLOT_REARMED);
  const w0 = first >> 6;
  const n = wordCount(<u32>end) - w0;
  const tail = <u32>end & 63;
  let count: u32 = 0;
  let j = nextNonzeroWord(arg, 0, n);
  while (j < n) {
    let mask = load<u64>(wordAddr(arg, j));
    if (j == n - 1 && tail != 0) mask &= (<u64>1 << tail) - 1;
    const old = atomic.and<u64>(wordAddr(dirty, w0 + j), ~mask);
    const cleared = old & mask;
    if (cleared != 0) {
      atomic.or<u64>(wordAddr(armed, w0 + j), cleared);
      if (rearmed != 0) atomic.or<u64>(wordAddr(rearmed, w0 + j), cleared);
      count += <u32>popcnt(cleared);
    }
    j = nextAfter(arg, j, n);
  }
  return <i32>count;
}
