/**
 * faultCostNs and resetCostNs make the model pay the kernel's costs: each vCPU spends
 * faultCostNs per page it logs (ring push or bitmap mark) and the collector resetCostNs per
 * entry it resets, on top of the engine's own time. Checked by accounting, not by speed: a
 * vCPU cannot have logged more pages than its running time pays for, and the collector's reset
 * time holds at least the cost of every entry it reset; without the costs both bounds break.
 */
import { expect, it } from 'vitest';
import { startRun, type RunOptions } from '../src/index.ts';

const FAULT_NS = 100_000; // 0.1 ms a page: a few thousand pages a second at most
const RESET_NS = 20_000;

it.each(['ring', 'bitmap'] as const)('%s: the vCPU logs no more pages than faultCostNs lets its running time pay for', async (strategy) => {
  const options: RunOptions = { strategy, vcpus: 1, memory: '64MiB', seconds: 0.4, ...(strategy === 'ring' ? { ringEntries: 65536 } : {}) };
  const logged = (r: Awaited<ReturnType<typeof startRun>['result']>) => (strategy === 'ring' ? r.totals.entriesHarvested : r.totals.dirtyPages);
  const paid = await startRun({ ...options, faultCostNs: FAULT_NS }).result;
  expect(paid.kind).toBe('completed');
  expect(logged(paid)).toBeGreaterThan(0);
  expect(logged(paid) * (FAULT_NS / 1e6)).toBeLessThanOrEqual(paid.totals.runningMs);
  const free = await startRun(options).result;
  expect(logged(free) * (FAULT_NS / 1e6)).toBeGreaterThan(free.totals.runningMs);
}, 30_000);

it('the collector spends resetCostNs per entry it resets, inside its reset time', async () => {
  const options: RunOptions = { strategy: 'ring', vcpus: 1, memory: '64MiB', ringEntries: 4096, iterations: 2, faultCostNs: 1000 };
  const paid = await startRun({ ...options, resetCostNs: RESET_NS }).result;
  expect(paid.totals.entriesReset).toBeGreaterThan(0);
  expect(paid.collector.resetMs).toBeGreaterThanOrEqual(paid.totals.entriesReset * (RESET_NS / 1e6));
  const free = await startRun(options).result;
  expect(free.collector.resetMs).toBeLessThan(free.totals.entriesReset * (RESET_NS / 1e6));
}, 30_000);
