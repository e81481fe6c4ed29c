/**
 * KVM_CAP_DIRTY_LOG_RING: each vCPU logs into its own ring; the VMM harvests every ring,
 * marks the pages, then issues one KVM_RESET_DIRTY_RINGS (QEMU's kvm_dirty_ring_reap).
 * Contents are read only after the reset, never before.
 */
import { readCollected, type CollectContext } from './context.ts';
import type { CollectStats, TrackingMode } from './mode.ts';

export const ring: TrackingMode = {
  name: 'ring',
  summary: 'per-vCPU dirty rings: harvest, then one KVM_RESET_DIRTY_RINGS (KVM_CAP_DIRTY_LOG_RING)',
  usesRing: true,
  vmOptions: ({ ringEntries, pml }) => ({ dirtyRing: { entries: ringEntries, pml } }),
  syncWaitsForKick: true,
  rearm: 'reset',
  deviceWriter: 'never',
  cost: 'per-dirty-page',
  verify: { initiallySet: false, ringlessCollected: 'every-sync' },
  reap: reapRings,
  collect(ctx) {
    const stats = reapRings(ctx); // whole rings: a sync takes everything logged
    readCollected(ctx);
    return stats;
  },
};

/** Harvest every ring (at most `max` entries of each), mark what was harvested, and reset them all with one call. */
export function reapRings(ctx: CollectContext, max?: number): CollectStats {
  return ctx.verbs.reap(max);
}
