/**
 * The guest-size crossover: where the sweep saw the ring overtake the bitmap, interpolated on
 * log-log axes between the two measured sizes; the fitted laws only when it saw no flip (and
 * then marked extrapolated if outside the sizes swept).
 */
import { expect, it } from 'vitest';
import { summarize } from '../src/bench/stats.ts';
import { fitPowerLaw } from '../src/experiments/fit.ts';
import { crossoverOf, type GuestPoint, type ModeFit } from '../src/experiments/guest-sweep.ts';

const GiB = 2 ** 30;
const point = (gib: number, strategy: string, ms: number): GuestPoint => ({
  guestBytes: gib * GiB, strategy, cost: strategy === 'ring' ? 'per-dirty-page' : 'per-guest-page', slotPages: [gib * 2 ** 18], setupMs: 1, firstSyncMs: 1,
  regimes: [{ regime: 'fixed-count', dirtyPages: 16384, syncMs: summarize([ms]), samples: [ms], reaps: 0, collectedAll: true }],
});
const sweep = (ring: number[], bitmap: number[], gib: number[]) => {
  const points = gib.flatMap((g, i) => [point(g, 'ring', ring[i]!), point(g, 'bitmap', bitmap[i]!)]);
  const law = (s: string, ys: number[]): ModeFit => ({ strategy: s, cost: s === 'ring' ? 'per-dirty-page' : 'per-guest-page', law: fitPowerLaw(gib, ys) });
  return crossoverOf(law('ring', ring), law('bitmap', bitmap), points, 'fixed-count');
};

it('a flip between 64 and 128 GiB is placed between them, whatever the fitted laws say', () => {
  // The bitmap: 2 ms at 64 GiB, 8 ms at 128 GiB; the ring a flat 4 ms: equal at sqrt(64 x 128) on log axes.
  const c = sweep([4, 4, 4, 4], [0.5, 2, 8, 32], [32, 64, 128, 256]);
  expect(c.from).toBe('measured');
  expect(c.measured).toEqual({ bitmapCheaperAt: 64 * GiB, ringCheaperAt: 128 * GiB });
  expect(c.guestBytes! / GiB).toBeCloseTo(Math.sqrt(64 * 128), 6);
  expect(c.extrapolated).toBe(false);
});

it('no flip in the sweep: the fitted laws say where, marked extrapolated', () => {
  const c = sweep([4, 4, 4], [0.1, 0.2, 0.4], [1, 2, 4]);
  expect(c.from).toBe('fitted');
  expect(c.guestBytes! / GiB).toBeCloseTo(40, 6); // 0.1 ms per GiB reaches the ring's 4 ms at 40 GiB
  expect(c.extrapolated).toBe(true);
});
