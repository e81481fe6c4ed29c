/**
 * The verifier is trusted only because it catches deliberately broken collectors: one that
 * drops one harvested entry in a thousand, ones that drop one page in a thousand of what GET
 * reported, ones that never re-arm, and ones that read page
 * contents before the re-arm. It catches them on a sparse guest (dirty_log_test's shape) and
 * on the default dense workload, where every page is rewritten every round and a lost report
 * is covered by a later one before the round ends: only the per-sync check against the
 * guest's record of completed writes sees those. The same runs with correct collectors pass.
 */
import { describe, expect, it } from 'vitest';
import { startRun, type BrokenCollector, type RingProtocol, type RunOptions, type Strategy } from '../src/index.ts';

const sparse: Omit<RunOptions, 'strategy'> = { vcpus: 2, memory: '16MiB', iterations: 5, seconds: 120, verify: true, pattern: 'random', writeRate: 20_000 };
// The defaults: 64 MiB, two vCPUs writing random pages as fast as they can. Iterations end the
// run, not the default second: on a loaded machine one iteration can take that second, and a
// collector that never re-arms is seen only by a later round.
const dense: Omit<RunOptions, 'strategy'> = { iterations: 4, seconds: 120, verify: true };

const broken: { strategy: Strategy; brokenCollector: BrokenCollector; ringProtocol?: RingProtocol }[] = [
  { strategy: 'ring', brokenCollector: 'drop-entries' },
  { strategy: 'bitmap', brokenCollector: 'drop-bits' },
  { strategy: 'clear-log', brokenCollector: 'drop-bits' },
  { strategy: 'ring', brokenCollector: 'never-rearm' },
  { strategy: 'ring', brokenCollector: 'drop-entries', ringProtocol: 'indices' },
  { strategy: 'ring', brokenCollector: 'never-rearm', ringProtocol: 'indices-apart' },
  { strategy: 'bitmap', brokenCollector: 'never-rearm' },
  { strategy: 'clear-log', brokenCollector: 'never-rearm' },
  { strategy: 'ring-with-bitmap', brokenCollector: 'drop-entries' },
  { strategy: 'ring-with-bitmap', brokenCollector: 'never-rearm' },
];

describe.each([['sparse', sparse], ['dense (the default workload)', dense]] as const)('the verifier on a %s guest', (_name, workload) => {
  it.each(broken.map((options) => ({ options, name: `${options.strategy}${options.ringProtocol ? ` (${options.ringProtocol})` : ''}` })))('catches $name with a collector that does $options.brokenCollector', async ({ options }) => {
    const result = await startRun({ ...workload, ...options }).result;
    expect(result.kind).toBe('completed');
    expect(result.verification.kind).toBe('failed');
  });

  it.each(['ring', 'bitmap', 'clear-log', 'ring-with-bitmap'] as const)('passes %s with the correct collector on the same workload', async (strategy) => {
    const result = await startRun({ ...workload, strategy }).result;
    expect(result.verification).toMatchObject({ kind: 'passed' });
  });

  it.each(['indices', 'indices-apart'] as const)('passes ring (%s) with the correct collector on the same workload', async (ringProtocol) => {
    const result = await startRun({ ...workload, strategy: 'ring', ringProtocol }).result;
    expect(result.verification).toMatchObject({ kind: 'passed' });
  });
});

it('names the lost pages: the page, its stamp, the round, and how it was lost', async () => {
  const result = await startRun({ ...dense, strategy: 'ring', brokenCollector: 'drop-entries' }).result;
  if (result.verification.kind !== 'failed') throw new Error(`expected a failed verification, got ${result.verification.kind}`);
  // A dropped entry is still reset: KVM re-arms a page the VMM never recorded.
  expect(result.verification.violations[0]).toMatchObject({ kind: 're-armed-but-not-collected', iteration: 1, page: expect.any(Number) as unknown, stamp: expect.any(Number) as unknown });
});

// Forced interleaving: the vCPU rewrites collected pages between the collection and the
// re-arm, then pauses, so no later write re-logs them (an Atomics pause handshake, no sleeps).
describe.each(['ring', 'clear-log'] as const)('%s, pausing between collection and re-arm', (strategy) => {
  const window: RunOptions = {
    strategy, vcpus: 1, memory: '256KiB', pattern: 'sequential', iterations: 1, seconds: 5, verify: true, minWrites: 0,
    inject: { pauseBeforeFirstRearm: true },
  };

  it('catches a collector that reads contents before the re-arm: the mirror misses the rewrites', async () => {
    const result = await startRun({ ...window, brokenCollector: 'read-before-reset' }).result;
    if (result.verification.kind !== 'failed') throw new Error(`expected a failed verification, got ${result.verification.kind}`);
    expect(result.verification.mirrorDiffers.length).toBeGreaterThan(0);
  });

  it('passes the correct collector under the same interleaving: re-arm first, then read', async () => {
    const result = await startRun(window).result;
    expect(result.verification).toMatchObject({ kind: 'passed' });
  });
});
