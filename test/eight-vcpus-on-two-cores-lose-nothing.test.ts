/** Stress: eight vCPU threads on a two-core machine, small rings (constant full exits), PML on. */
import { expect, it } from 'vitest';
import { startRun } from '../src/index.ts';

it.each(['ring', 'clear-log'] as const)('%s: verified over every iteration', async (strategy) => {
  const result = await startRun({
    strategy, vcpus: 8, memory: '8MiB', ...(strategy === 'ring' ? { ringEntries: 1024 } : {}), pml: true, iterations: 6, seconds: 120, intervalMs: 60, verify: true, pattern: 'random',
  }).result;
  expect(result.kind).toBe('completed');
  expect(result.verification).toMatchObject({ kind: 'passed' });
  expect(result.threads.filter((t) => t.writes > 0).length).toBe(8);
  if (strategy === 'ring') expect(result.totals.fullExits).toBeGreaterThan(8);
}, 60_000);
