/**
 * Classic KVM_GET_DIRTY_LOG: each GET exchanges the slot's dirty words with zero and re-arms
 * the pages it returns, so one call both collects and re-arms.
 */
import { readCollected } from './context.ts';
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
    for (const s of ctx.slots) {
      ctx.verbs.getDirtyLog(s, false);
      ctx.verbs.markSnapshot(s);
    }
    readCollected(ctx);
    return NOTHING_COLLECTED;
  },
};
