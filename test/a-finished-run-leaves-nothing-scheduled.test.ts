/**
 * When a run's result settles, nothing of it is left: no thread, no timer, no listener. A
 * failed run used to keep a 1 ms poll running forever, and a collector failure left a 20 s
 * timer behind, keeping the process alive.
 */
import { expect, it } from 'vitest';
import { startRun } from '../src/index.ts';

const count = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length;

it.each([
  ['a run that cannot reach its minimum of writes', { strategy: 'bitmap', memory: '1MiB', minWrites: 1e9, timeouts: { fullWaitMs: 1000 } }],
  ['a run whose collector fails', { strategy: 'ring', memory: '4MiB', ringEntries: 256, seconds: 5, intervalMs: 30, inject: { collectorFailsOnSync: 2 } }],
  ['a completed run', { strategy: 'ring', memory: '4MiB', iterations: 2, intervalMs: 30 }],
  ['an aborted run', { strategy: 'bitmap', memory: '4MiB', seconds: 60, signal: AbortSignal.timeout(300) }],
] as const)('%s', async (_name, options) => {
  const before = { timers: count('Timeout'), immediates: count('Immediate'), ports: count('MessagePort') };
  const result = await startRun(options).result;
  expect(['failed', 'completed', 'aborted']).toContain(result.kind);
  // Nothing the run started is still there (vitest's own timer may have come or gone).
  expect(count('Timeout')).toBeLessThanOrEqual(before.timers);
  expect(count('Immediate')).toBeLessThanOrEqual(before.immediates);
  expect(count('MessagePort')).toBeLessThanOrEqual(before.ports);
});
