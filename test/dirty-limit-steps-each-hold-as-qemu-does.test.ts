/**
 * The dirty limit's controller is QEMU's dirtylimit_set_throttle: nothing within 25 MB/s of
 * the quota, a proportional step further than 50 % off (the share of a ring-fill time that
 * brings the rate to the quota at once), a tenth of a fill time otherwise, never below 0 nor
 * above 99 fill times, and 0 for a vCPU that dirtied nothing. A fill time is the ring (in whole
 * MiB) at the highest rate seen so far.
 */
import { describe, expect, it } from 'vitest';
import { dirtyRingFullTimeUs, nextThrottleUs, pagesToMBps, type DirtyLimitState } from '../src/vmm/dirty-limit.ts';

/** 1024 entries = 4 MiB; at 4000 MB/s a fill takes 1000 µs. */
const RING = 1024;
const seen = (rate: number): DirtyLimitState => ({ maxRateMBps: rate });

describe('QEMU dirtylimit_set_throttle', () => {
  it('measures a fill time at the highest rate seen, and remembers it', () => {
    const state = seen(0);
    expect(dirtyRingFullTimeUs(state, RING, 4000)).toBe(1000);
    expect(dirtyRingFullTimeUs(state, RING, 2000)).toBe(1000);
    expect(state.maxRateMBps).toBe(4000);
    expect(dirtyRingFullTimeUs(seen(0), 256, 1000)).toBe(1000); // 256 entries: 1 MiB
  });

  it('steps proportionally when more than 50 % over the quota', () => {
    // 90 % over: sleep 90/10 fill times per full ring, so 1 ms of dirtying is followed by 9 ms held.
    expect(nextThrottleUs(seen(0), RING, 0, 400, 4000)).toBe(9000);
    expect(nextThrottleUs(seen(0), RING, 500, 400, 4000)).toBe(9500);
  });

  it('steps back proportionally when more than 50 % under, and never below zero', () => {
    expect(nextThrottleUs(seen(4000), RING, 9000, 400, 100)).toBe(6000); // 75 % under: 3 fill times back
    expect(nextThrottleUs(seen(4000), RING, 2000, 400, 100)).toBe(0);
  });

  it('steps a tenth of a fill time when within 50 % but outside the tolerance', () => {
    expect(nextThrottleUs(seen(4000), RING, 9000, 400, 500)).toBe(9100);
    expect(nextThrottleUs(seen(4000), RING, 9000, 400, 300)).toBe(8900);
  });

  it('leaves the hold alone within 25 MB/s of the quota', () => {
    expect(nextThrottleUs(seen(4000), RING, 9000, 400, 425)).toBe(9000);
    expect(nextThrottleUs(seen(4000), RING, 9000, 400, 375)).toBe(9000);
  });

  it('drops the hold of a vCPU that dirtied nothing, and caps it at 99 fill times', () => {
    expect(nextThrottleUs(seen(4000), RING, 9000, 400, 0)).toBe(0);
    expect(nextThrottleUs(seen(4000), RING, 98_950, 26, 4000)).toBe(99_000);
  });

  it('works in QEMU\'s MB/s: 256 pages per second are 1 MB/s', () => {
    expect(pagesToMBps(256)).toBe(1);
    expect(pagesToMBps(100_000)).toBeCloseTo(390.625, 6);
  });
});
