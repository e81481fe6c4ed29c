/**
 * The collection strategies, as the collector thread runs them. Each is a small function of
 * the engine's exports: KVM's ioctls on one side, QEMU's per-slot bitmap on the other.
 *
 *   ring             harvest every ring, fold into the slot bitmaps, one reset for all rings
 *   bitmap           KVM_GET_DIRTY_LOG (classic: clears and re-arms as it reads)
 *   clear-log        GET with manual protect, then KVM_CLEAR_DIRTY_LOG in chunks
 *   ring-with-bitmap rings, plus a classic GET of the backup bitmaps after the rings drain
 */
import type { EngineExports } from '../engine/exports.ts';
import { ABI } from '../layout.ts';
import type { Control } from '../threads/control.ts';
import type { CollectorTotals, CollectorWorkerData, SlotInfo } from '../threads/protocol.ts';

const INT_MAX = 0x7fffffff;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface CollectorContext {
  readonly engine: EngineExports;
  readonly c: Control;
  readonly u8: Uint8Array;
  readonly data: CollectorWorkerData;
  readonly mirror: Uint8Array | undefined;
  readonly totals: Mutable<CollectorTotals>;
  harvestedSinceDrop: number;
  pausedOnce: boolean;
}

/**
 * QEMU's kvm_dirty_ring_reap: harvest every ring, mark the pages, then one
 * KVM_RESET_DIRTY_RINGS for all of them, and wake the vCPUs waiting for room.
 * Contents are read only after the reset (copyCollected), never before.
 */
export function reapRings(ctx: CollectorContext): void {
  const { engine, c, data } = ctx;
  let harvested = 0;
  for (const { ctl } of data.vcpus) {
    const n = engine.dirtyRingHarvest(ctl, c.vcpu(ctl, ABI.VCPU_ENTRIES));
    if (n === 0) continue;
    if (data.broken === 'drop-entries') dropOneInAThousand(ctx, ctl, n);
    ctx.totals.entriesSkipped += engine.collectHarvested(ctl, n);
    harvested += n;
  }
  ctx.totals.reaps++;
  if (harvested === 0) return;
  ctx.totals.entriesHarvested += harvested;
  if (data.broken === 'read-before-reset') copyPages(ctx);
  if (data.pauseBeforeFirstReset && !ctx.pausedOnce && c.vm(ABI.VM_RUN_STATE) === ABI.RUN_RUNNING) pauseVcpus(ctx);
  const reset = withoutRearming(ctx, () => {
    let count = 0;
    for (const { ctl } of data.vcpus) count += engine.dirtyRingReset(ctl, INT_MAX - count);
    return count;
  });
  ctx.totals.entriesReset += reset;
  if (reset !== harvested && data.broken === undefined) {
    // QEMU asserts this: nobody else harvests, so a difference means a corrupted ring.
    throw new Error(`collector: KVM_RESET_DIRTY_RINGS reset ${reset} entries but ${harvested} were harvested`);
  }
  for (const { ctl } of data.vcpus) c.ring(ctl + ABI.VCPU_RESUME_BELL);
}

/** Bitmap strategies, and the ring's backup bitmap at the end of a round. */
export function collectBitmaps(ctx: CollectorContext): void {
  const { engine, data, u8 } = ctx;
  for (const s of data.slots) {
    if (data.strategy === 'clear-log') {
      engine.getDirtyLogManual(s.desc);
      engine.bitmapOr(s.collected, s.snapshot, s.pages);
      if (data.broken === 'never-rearm') continue;
      // CLEAR in chunks of clearChunkPages (a multiple of 64), re-arming only what GET saw.
      for (let first = 0; first < s.pages; first += data.clearChunkPages) {
        const num = Math.min(data.clearChunkPages, s.pages - first);
        const from = s.snapshot + first / 8;
        u8.copyWithin(s.clearArg, from, from + Math.ceil(num / 64) * 8);
        const r = engine.clearDirtyLog(s.desc, first, num);
        if (r < 0) throw new Error(`collector: KVM_CLEAR_DIRTY_LOG(${first}, ${num}) failed with code ${r}`);
      }
    } else if (data.broken === 'never-rearm') {
      engine.getDirtyLogManual(s.desc);
      engine.bitmapOr(s.collected, s.snapshot, s.pages);
      const dirty = ctx.c.load(s.desc + ABI.SLOT_DIRTY);
      u8.fill(0, dirty, dirty + s.bitmapBytes); // cleared, never re-armed
    } else {
      engine.getDirtyLog(s.desc);
      engine.bitmapOr(s.collected, s.snapshot, s.pages);
    }
  }
}

/**
 * After the re-arm: copy every collected page into the host mirror (content mode), list them
 * if asked, and empty the collected bitmaps for the next round.
 */
export function copyCollected(ctx: CollectorContext, wantPages: boolean, stats: { pages: number }): Uint32Array[] | null {
  const lists = wantPages ? [] as Uint32Array[] : null;
  for (const s of ctx.data.slots) {
    const pages = setBits(ctx, s.collected, s.pages, true);
    if (ctx.data.broken !== 'read-before-reset') copySlotPages(ctx, s, pages);
    stats.pages += pages.length;
    lists?.push(pages);
  }
  return lists;
}

/** The broken collector's early copy, before the reset, of what it has collected so far. */
function copyPages(ctx: CollectorContext): void {
  for (const s of ctx.data.slots) copySlotPages(ctx, s, setBits(ctx, s.collected, s.pages));
}

function copySlotPages(ctx: CollectorContext, s: SlotInfo, pages: Uint32Array): void {
  if (!ctx.mirror || !s.contents) return;
  for (const p of pages) {
    const from = s.contents + p * ABI.PAGE_SIZE;
    ctx.mirror.set(ctx.u8.subarray(from, from + ABI.PAGE_SIZE), s.mirrorOffset + p * ABI.PAGE_SIZE);
  }
}

/**
 * The set bits of a bitmap, skipping empty words in the engine; with `clear`, each word is
 * zeroed as it is read (cheaper than clearing the whole bitmap for a sparse round).
 */
function setBits(ctx: CollectorContext, bitmap: number, npages: number, clear = false): Uint32Array {
  const words = Math.ceil(npages / 64);
  const out: number[] = [];
  const u32 = ctx.c.u32;
  for (let w = ctx.engine.nextNonzeroWord(bitmap, 0, words); w < words; w = ctx.engine.nextNonzeroWord(bitmap, w + 1, words)) {
    for (let half = 0; half < 2; half++) {
      const at = (bitmap >>> 2) + 2 * w + half;
      let bits = u32[at]!;
      if (clear) u32[at] = 0;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        out.push(w * 64 + half * 32 + b);
        bits &= bits - 1;
      }
    }
  }
  return Uint32Array.from(out);
}

/** The test hook of CollectorWorkerData.pauseBeforeFirstReset: the host's pause handshake. */
function pauseVcpus(ctx: CollectorContext): void {
  const { c } = ctx;
  ctx.pausedOnce = true;
  const epoch = c.setRunState(ABI.RUN_PAUSED);
  const deadline = performance.now() + ctx.data.kickTimeoutMs;
  for (const { id, ctl } of ctx.data.vcpus) {
    while (!c.acknowledged(ctl, epoch)) {
      if (performance.now() > deadline) throw new Error(`collector: vCPU ${id} did not pause within ${ctx.data.kickTimeoutMs} ms`);
      c.waitSync(ctl + ABI.VCPU_EPOCH_ACK, c.vcpu(ctl, ABI.VCPU_EPOCH_ACK), 20);
    }
  }
}

/** Broken collector: corrupt the slot of every 1000th harvested record so it is skipped. */
function dropOneInAThousand(ctx: CollectorContext, ctl: number, n: number): void {
  const buf = ctx.c.vcpu(ctl, ABI.VCPU_HARVEST_BUF);
  for (let i = 0; i < n; i++) {
    if (++ctx.harvestedSinceDrop % 1000 === 0) ctx.c.u32[(buf + i * ABI.GFN_SIZE + ABI.GFN_SLOT) >>> 2] = 0xffff;
  }
}

/** Broken collector: reset entries with logging flagged off, so nothing is re-armed. */
function withoutRearming(ctx: CollectorContext, reset: () => number): number {
  if (ctx.data.broken !== 'never-rearm') return reset();
  const flags = ctx.data.slots.map((s) => ctx.c.load(s.desc + ABI.SLOT_FLAGS));
  ctx.data.slots.forEach((s, i) => ctx.c.store(s.desc + ABI.SLOT_FLAGS, flags[i]! & ~ABI.SLOT_F_LOG_DIRTY));
  try {
    return reset();
  } finally {
    ctx.data.slots.forEach((s, i) => ctx.c.store(s.desc + ABI.SLOT_FLAGS, flags[i]!));
  }
}
