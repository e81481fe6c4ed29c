/**
 * Reading a limit's convergence from iteration reports: a vCPU has settled from the first of
 * three windows in a row (of three iterations each) inside 10 % of the limit; what it achieved
 * is its rate from there to the end, and how often it stayed inside is counted, not hidden. A
 * rate judged per iteration would be fooled by a ring's worth of entries landing in one
 * iteration or the next; a window is not.
 */
import { expect, it } from 'vitest';
import { limitConvergence } from '../src/experiments/dirty-limit.ts';
import type { IterationReport } from '../src/run/result.ts';

/** Iterations of 100 ms with these dirty pages per vCPU. */
function iterations(...perVcpu: number[][]): IterationReport[] {
  return perVcpu[0]!.map((_, i) => ({
    iteration: i + 1, runningMs: 100,
    vcpus: perVcpu.map((pages, v) => ({ vcpu: v, writes: pages[i]!, dirtyPages: pages[i]!, dirtyRate: pages[i]! * 10, throttleMs: 0, throttleUsPerFull: 0 })),
  }) as unknown as IterationReport);
}

it('settles at the first of three windows in a row inside the tolerance', () => {
  // 100,000 pages/s = 10,000 pages per 100 ms iteration.
  const c = limitConvergence(iterations([90_000, 30_000, 14_000, 10_500, 9_800, 10_100, 9_900, 10_200, 10_000, 9_900]), 100_000);
  expect(c.vcpus[0]!.convergedAtMs).toBe(300); // from iteration 4: windows 4-6, 5-7, 6-8 are inside
  expect(c.convergedAtMs).toBe(300);
  expect(c.achievedRate).toBeCloseTo((10_500 + 9_800 + 10_100 + 9_900 + 10_200 + 10_000 + 9_900) / 0.7, 6);
  expect(c.errorPercent).toBeCloseTo((c.achievedRate! / 100_000 - 1) * 100, 9);
  expect(c.withinShare).toBe(1);
});

it('is not settled by one window inside: three in a row', () => {
  // Window 1-3 is inside, then the vCPU overshoots for three iterations and settles from iteration 7.
  const c = limitConvergence(iterations([10_000, 10_000, 10_000, 20_000, 20_000, 20_000, 10_000, 10_000, 10_000, 10_000, 10_000]), 100_000);
  expect(c.convergedAtMs).toBe(600);
  expect(c.achievedRate).toBeCloseTo(100_000, 6);
});

it('judges windows, so a ring landing in one iteration or the next does not unsettle it', () => {
  // A 960-entry ring at 100,000 pages/s: iterations alternate 9,600 and 11,520 (-4 %, +15 %).
  const c = limitConvergence(iterations([9_600, 11_520, 9_600, 9_600, 11_520, 9_600, 9_600, 11_520, 9_600]), 100_000);
  expect(c.convergedAtMs).toBe(0);
  expect(c.withinShare).toBe(1);
});

it('counts a later excursion in the share inside, and waits for the slowest vCPU', () => {
  const steady = [10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000];
  const late = [30_000, 30_000, 30_000, 30_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000];
  const bump = [10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 25_000, 10_000, 10_000, 10_000];
  const c = limitConvergence(iterations(steady, late, bump), 100_000);
  expect(c.vcpus.map((v) => v.convergedAtMs)).toEqual([0, 400, 0]);
  expect(c.convergedAtMs).toBe(400);
  expect(c.vcpus[2]!.withinShare).toBeCloseTo(5 / 8, 9); // windows 5-7, 6-8, 7-9 hold the bump
  expect(c.withinShare).toBeCloseTo(5 / 8, 9);
});

it('says null when a vCPU never settles', () => {
  const c = limitConvergence(iterations([30_000, 20_000, 15_000, 13_000, 12_000, 12_500, 12_000]), 100_000);
  expect(c.vcpus[0]!.convergedAtMs).toBeNull();
  expect(c.convergedAtMs).toBeNull();
  expect(c.achievedRate).toBeNull();
});
