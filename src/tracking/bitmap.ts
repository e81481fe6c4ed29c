/**
 * Classic KVM_GET_DIRTY_LOG: each GET exchanges the slot's dirty words with zero and re-arms
 * the pages it returns, so one call both collects and re-arms.
 */
import { readCollected, type CollectContext } from './context.ts';
import { NOTHING_COLLECTED, type TrackingMode } from './mode.ts';

export const bitmap: TrackingMode = {
  name: 'bitmap',
  summary: 'dirty bitmaps: KVM_GET_DIRTY_LOG clears and re-arms as it reads',
  usesRing: false,
  vmOptions: () => ({}),
  syncWaitsForKick: false,
  rearm: 'get',
  deviceWriter: 'never',
  cost: 'per-guest-page',
  verify: { initiallySet: false, ringlessCollected: 'every-sync' },
  collect(ctx) {
    getDirtyLogs(ctx, false);
    readCollected(ctx);
    return NOTHING_COLLECTED;
  },
};

/** KVM_GET_DIRTY_LOG of every slot, each snapshot marked in the VMM's bitmap. */
export function getDirtyLogs(ctx: CollectContext, manualProtect: boolean): void {
  for (const s of ctx.slots) {
    ctx.verbs.getDirtyLog(s, manualProtect);
    ctx.verbs.markSnapshot(s);
  }
}
