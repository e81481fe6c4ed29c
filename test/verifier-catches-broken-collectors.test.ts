/**
 * The verifier is trusted only because it catches deliberately broken collectors: one that
 * drops one harvested entry in a thousand, ones that never re-arm, and one that reads page
 * contents before the reset. The same runs with the correct collector pass.
 */
import { describe, expect, it } from 'vitest';
import { startRun, type RunOptions } from '../src/index.ts';

// A sparse guest (dirty_log_test's shape): about one write per page per iteration, so a
// page whose report was lost is rarely written again before the check.
const sparse: Omit<RunOptions, 'strategy'> = { vcpus: 2, memory: '16MiB', ringEntries: 1024, iterations: 6, seconds: 120, verify: true, pattern: 'random', writeRate: 20_000 };

describe('the verifier', () => {
  it.each([
    { strategy: 'ring', brokenCollector: 'drop-entries' },
    { strategy: 'ring', brokenCollector: 'never-rearm' },
    { strategy: 'bitmap', brokenCollector: 'never-rearm' },
    { strategy: 'clear-log', brokenCollector: 'never-rearm' },
  ] as const)('catches $strategy with a collector that does $brokenCollector', async (broken) => {
    const result = await startRun({ ...sparse, ...broken }).result;
    expect(result.kind).toBe('completed');
    expect(result.verification?.kind).toBe('failed');
  });

  it.each(['ring', 'bitmap', 'clear-log'] as const)('passes %s with the correct collector on the same workload', async (strategy) => {
    const result = await startRun({ ...sparse, strategy }).result;
    expect(result.verification).toMatchObject({ kind: 'passed' });
  });

  // Forced interleaving: the vCPU rewrites harvested pages between harvest and reset, then
  // pauses, so no later write re-logs them (an Atomics pause handshake, no sleeps).
  const window: RunOptions = {
    strategy: 'ring', vcpus: 1, memory: '256KiB', pattern: 'sequential', iterations: 1, seconds: 5, verify: true, minWrites: 0,
    inject: { pauseBeforeFirstReset: true },
  };

  it('catches a collector that reads contents before the reset: the mirror misses the rewrites', async () => {
    const result = await startRun({ ...window, brokenCollector: 'read-before-reset' }).result;
    expect(result.verification?.kind).toBe('failed');
    expect(result.verification?.kind === 'failed' && result.verification.mirrorDiffers.length).toBeGreaterThan(0);
  });

  it('passes the correct collector under the same interleaving: reset first, then read', async () => {
    const result = await startRun(window).result;
    expect(result.verification).toMatchObject({ kind: 'passed' });
  });
});
