/**
 * A round's dirty count is the number of distinct pages its collections reported, in every
 * mode and with or without verification: a page reported by both collections of a round
 * (once while running, once after the pause) counts once, so dirty + clean = the guest.
 */
import { expect, it } from 'vitest';
import { STRATEGIES, startRun } from '../src/index.ts';

it.each(STRATEGIES)('%s, tracking only, every page rewritten all the time: dirty never exceeds the guest', async (strategy) => {
  const result = await startRun({ strategy, memory: '64MiB', iterations: 3 }).result;
  expect(result.kind).toBe('completed');
  for (const r of result.iterations) {
    expect(r.dirty).toBeLessThanOrEqual(16384);
    expect(r.dirty + r.clean).toBe(16384);
    expect(r.clean).toBeGreaterThanOrEqual(0);
  }
  expect(result.totals.dirtyPages).toBe(result.iterations.reduce((a, r) => a + r.dirty, 0));
});

it('tracking only and verified runs count the same way', async () => {
  const options = { strategy: 'ring', memory: '4MiB', iterations: 3, pattern: 'sequential', writeRate: 1000, vcpus: 1, minWrites: 0 } as const;
  const [tracked, verified] = await Promise.all([startRun(options).result, startRun({ ...options, verify: true }).result]);
  expect(verified.verification.kind).toBe('passed');
  // A sequential guest at 1000 writes/s writes about 100 new pages of its 1024 in each 100 ms round.
  for (const result of [tracked, verified]) for (const r of result.iterations) expect(r.dirty).toBe(r.writes);
});
