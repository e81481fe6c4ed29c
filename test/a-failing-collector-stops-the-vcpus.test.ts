/** A collector failure stops every vCPU at once (none waits for a reset that will never come). */
import { expect, it } from 'vitest';
import { startRun } from '../src/index.ts';

it('fails the run naming the collector, with the iterations before it', async () => {
  const t0 = performance.now();
  const result = await startRun({
    strategy: 'ring', vcpus: 2, memory: '4MiB', ringEntries: 256, seconds: 30, intervalMs: 30, verify: true,
    inject: { collectorFailsOnSync: 4 },
  }).result;
  expect(result).toMatchObject({ kind: 'failed', error: { thread: 'collector', message: 'collector: injected failure on sync 4' } });
  expect(result.iterations.length).toBe(1);
  expect(performance.now() - t0).toBeLessThan(10_000); // well before the 30 s run or any 10 s timeout
});
