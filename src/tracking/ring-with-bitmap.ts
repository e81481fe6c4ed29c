/**
 * KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP (arm64): vCPU writes go to the rings; writes with no
 * vCPU (a device, the vGIC/ITS table saves) go to a backup bitmap per slot, which the VMM
 * reads with a classic GET as the very last step of a round, after the rings drained.
 */
import { getDirtyLogs } from './bitmap.ts';
import { readCollected } from './context.ts';
import { reapRings } from './ring.ts';
import type { TrackingMode } from './mode.ts';

export const ringWithBitmap: TrackingMode = {
  name: 'ring-with-bitmap',
  summary: 'rings plus a backup bitmap for vCPU-less writes, read at the end of each round (arm64)',
  usesRing: true,
  // KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP exists only on arm64: the model runs this mode as an arm64 VM.
  vmOptions: ({ ringEntries, pml }) => ({ arch: 'arm64', dirtyRing: { entries: ringEntries, pml }, ringWithBitmap: true }),
  syncWaitsForKick: true,
  rearm: 'reset+get',
  deviceWriter: 'by-default',
  cost: 'per-dirty-page',
  verify: { initiallySet: false, ringlessCollected: 'round-end' },
  reap: reapRings,
  collect(ctx, final) {
    const stats = reapRings(ctx);
    if (final) getDirtyLogs(ctx, false);
    readCollected(ctx);
    return stats;
  },
};
