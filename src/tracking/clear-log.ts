/**
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 with INITIALLY_SET: GET only copies the bitmap; the VMM
 * re-arms with KVM_CLEAR_DIRTY_LOG in chunks (QEMU's clear-bitmap-shift, 1 GiB), clearing
 * only bits it has seen. The first GET reports every page.
 */
import { getDirtyLogs } from './bitmap.ts';
import { readCollected } from './context.ts';
import { NOTHING_COLLECTED, type TrackingMode } from './mode.ts';

export const clearLog: TrackingMode = {
  name: 'clear-log',
  summary: 'manual protect: KVM_GET_DIRTY_LOG copies, KVM_CLEAR_DIRTY_LOG re-arms in 1 GiB chunks (INITIALLY_SET)',
  usesRing: false,
  vmOptions: () => ({ manualProtect: { initiallySet: true } }),
  syncWaitsForKick: false,
  rearm: 'clear',
  deviceWriter: 'never',
  cost: 'per-guest-page',
  verify: { initiallySet: true, ringlessCollected: 'every-sync' },
  collect(ctx) {
    getDirtyLogs(ctx, true);
    for (const s of ctx.slots) {
      const pages = ctx.arena.slots[s]!.npages;
      for (let first = 0; first < pages; first += ctx.clearChunkPages) {
        ctx.verbs.clearDirtyLog(s, first, Math.min(ctx.clearChunkPages, pages - first));
      }
    }
    readCollected(ctx);
    return NOTHING_COLLECTED;
  },
};
