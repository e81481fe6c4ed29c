/**
 * What a mode collects through: the KVM verbs bound to one VM's arena, plus the VMM's own
 * steps (marking what it collected in its per-slot bitmap, reading page contents). A mode
 * calls only these, so a broken mode can replace any of them (broken.ts), and the same mode
 * runs single-threaded in the contract suite and in the collector thread.
 */
import type { Arena } from '../kvm/arena.ts';
import { clearDirtyLog, dirtyLogSnapshot, getDirtyLog } from '../kvm/dirty-log.ts';
import { collectDirtyRings, harvestDirtyRing, markHarvested, resetDirtyRings } from '../kvm/dirty-ring.ts';
import { ABI } from '../layout.ts';
import { spend } from '../threads/busy.ts';
import { NOTHING_COLLECTED, type CollectStats } from './mode.ts';

export interface CollectVerbs {
  /**
   * Every ring at once: harvest and mark each entry in one pass, at most `max` per ring (model;
   * whole rings without it), then one KVM_RESET_DIRTY_RINGS. A broken mode replaces it with
   * {@link reapStepwise} over its own verbs, which reaps whole rings.
   */
  reap(max?: number): CollectStats;
  /** Userspace harvest of one ring into its harvest buffer; returns the records. */
  harvest(vcpu: number): number;
  /** Set the first `n` harvested records of `vcpu` in the collected bitmaps; returns records skipped. */
  markHarvested(vcpu: number, n: number): number;
  /** KVM_RESET_DIRTY_RINGS over every ring; returns entries reset. */
  reset(): number;
  /** KVM_GET_DIRTY_LOG of a slot (classic, or a copy with manual protect). */
  getDirtyLog(slot: number, manualProtect: boolean): number;
  /** OR the last GET's snapshot into the slot's collected bitmap. */
  markSnapshot(slot: number): void;
  /** KVM_CLEAR_DIRTY_LOG of pages [first, first + num) that the last GET reported. */
  clearDirtyLog(slot: number, first: number, num: number): number;
  /** The VMM reads what it collected: copy those pages into the host mirror (content mode). */
  readPages(slot: number): void;
}

export interface CollectContext {
  readonly arena: Arena;
  /** vCPUs whose rings are collected. */
  readonly vcpus: readonly number[];
  /** Memslot ids collected. */
  readonly slots: readonly number[];
  /** clear-log: pages per KVM_CLEAR_DIRTY_LOG (QEMU's clear chunk, 2^18 = 1 GiB). */
  readonly clearChunkPages: number;
  readonly verbs: CollectVerbs;
}

/** Where a context adds the time it spends in each verb (the collector's counters). */
export interface VerbTimes {
  harvestMs: number;
  resetMs: number;
}

export interface ContextOptions {
  readonly vcpus: readonly number[];
  readonly slots: readonly number[];
  readonly clearChunkPages?: number;
  /** Host copy of guest memory, slot after slot (content mode); pages are copied in after collection. */
  readonly mirror?: Uint8Array;
  /** Accumulates the time spent harvesting (with marking) and resetting. */
  readonly times?: VerbTimes;
  /** Time each reset entry costs on top of the engine's, in ns: the kernel's, calibrated (0: the engine alone). */
  readonly resetCostNs?: number;
}

/** A verb's wall time added to `times[key]` (nothing timed without `times`). */
export function timer(times: VerbTimes | undefined): <T>(key: keyof VerbTimes, f: () => T) => T {
  return (key, f) => {
    if (!times) return f();
    const t0 = performance.now();
    try {
      return f();
    } finally {
      times[key] += performance.now() - t0;
    }
  };
}

/** Bind the verbs to an arena. */
export function collectContext(arena: Arena, o: ContextOptions): CollectContext {
  const mirrorAt = mirrorOffsets(arena, o.slots);
  const timed = timer(o.times);
  const resetCost = o.resetCostNs ?? 0;
  // KVM_RESET_DIRTY_RINGS, plus the kernel's calibrated cost per entry reset when one is given.
  const reset = resetCost > 0
    ? () => {
      const n = resetDirtyRings(arena, o.vcpus);
      spend(n * resetCost);
      return n;
    }
    : () => resetDirtyRings(arena, o.vcpus);
  const verbs: CollectVerbs = {
    reap: (max) => {
      const harvested = timed('harvestMs', () => collectDirtyRings(arena, o.vcpus, max));
      if (harvested === 0) return NOTHING_COLLECTED;
      return { harvested, reset: checkedReset(harvested, timed('resetMs', reset)), skipped: 0 };
    },
    harvest: (vcpu) => timed('harvestMs', () => harvestDirtyRing(arena, vcpu, arena.vcpus[vcpu]!.entries)),
    markHarvested: (vcpu, n) => timed('harvestMs', () => markHarvested(arena, vcpu, n)),
    reset: () => timed('resetMs', reset),
    getDirtyLog: (slot, manual) => getDirtyLog(arena, slot, manual),
    markSnapshot: (slot) => {
      const r = arena.plan.slots[slot]!;
      arena.engine.bitmapOr(r.collected, r.snapshot, arena.slots[slot]!.npages);
    },
    clearDirtyLog: (slot, first, num) => {
      const snapshot = dirtyLogSnapshot(arena, slot);
      return clearDirtyLog(arena, slot, first, num, snapshot.subarray(first / 8, first / 8 + Math.ceil(num / 64) * 8));
    },
    readPages: (slot) => {
      if (o.mirror) copyCollectedPages(arena, slot, o.mirror, mirrorAt.get(slot)!);
    },
  };
  return { arena, vcpus: o.vcpus, slots: o.slots, clearChunkPages: o.clearChunkPages ?? 2 ** 18, verbs };
}

/**
 * The reap one verb at a time: harvest each ring into its buffer, mark what was harvested,
 * then one reset for all rings. What a broken or instrumented mode uses, so it can act
 * between the steps.
 */
export function reapStepwise(verbs: CollectVerbs, vcpus: readonly number[]): CollectStats {
  let harvested = 0;
  let skipped = 0;
  for (const v of vcpus) {
    const n = verbs.harvest(v);
    if (n === 0) continue;
    skipped += verbs.markHarvested(v, n);
    harvested += n;
  }
  if (harvested === 0) return NOTHING_COLLECTED;
  return { harvested, reset: checkedReset(harvested, verbs.reset()), skipped };
}

/** QEMU asserts this: nobody else harvests, so a difference means a corrupted ring. */
function checkedReset(harvested: number, reset: number): number {
  if (reset !== harvested) throw new Error(`KVM_RESET_DIRTY_RINGS reset ${reset} entries but ${harvested} were harvested`);
  return reset;
}

/**
 * The VMM reads what it collected, after the re-arm and never before (KVM's rule for the
 * ring: reset, then read; for the bitmap: GET or CLEAR, then read). Every mode's collect ends
 * with this, through its own verbs, so a broken mode can get the order wrong.
 */
export function readCollected(ctx: CollectContext): void {
  for (const s of ctx.slots) ctx.verbs.readPages(s);
}

/** Where each content slot starts in the mirror: slots one after another, in the order given. */
export function mirrorOffsets(arena: Arena, slots: readonly number[]): Map<number, number> {
  const at = new Map<number, number>();
  let next = 0;
  for (const s of slots) {
    at.set(s, next);
    if (arena.plan.slots[s]!.contents) next += arena.slots[s]!.npages * ABI.PAGE_SIZE;
  }
  return at;
}

/** Copy every page set in the slot's collected bitmap from guest memory into the mirror. */
function copyCollectedPages(arena: Arena, slot: number, mirror: Uint8Array, base: number): void {
  const r = arena.plan.slots[slot]!;
  if (!r.contents) return;
  copyPages(arena, slot, arena.u8.subarray(r.contents, r.contents + arena.slots[slot]!.npages * ABI.PAGE_SIZE), mirror, base);
}

/** Copy every page set in the slot's collected bitmap from `guest` (the slot's memory) into the mirror at `base`. */
export function copyPages(arena: Arena, slot: number, guest: Uint8Array, mirror: Uint8Array, base: number): void {
  forEachSetBit(arena, arena.plan.slots[slot]!.collected, arena.slots[slot]!.npages, (p) => {
    const from = p * ABI.PAGE_SIZE;
    mirror.set(guest.subarray(from, from + ABI.PAGE_SIZE), base + p * ABI.PAGE_SIZE);
  });
}

/**
 * Call `fn` for every set bit of a bitmap, ascending, skipping zero words in the engine; stop
 * early when `fn` returns false. No list is built, whatever the size of the set.
 */
export function forEachSetBit(arena: Arena, bitmap: number, npages: number, fn: (page: number) => boolean | void): void {
  const words = Math.ceil(npages / 64);
  const { engine, u32 } = arena;
  for (let w = engine.nextNonzeroWord(bitmap, 0, words); w < words; w = engine.nextNonzeroWord(bitmap, w + 1, words)) {
    for (let half = 0; half < 2; half++) {
      let bits = u32[(bitmap >>> 2) + 2 * w + half]!;
      while (bits !== 0) {
        if (fn(w * 64 + half * 32 + (31 - Math.clz32(bits & -bits))) === false) return;
        bits &= bits - 1;
      }
    }
  }
}
