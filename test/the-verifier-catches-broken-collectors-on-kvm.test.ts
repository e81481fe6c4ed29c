/**
 * The verifier on real KVM is trusted only because it catches deliberately broken collectors
 * there too: stamps and the mirror checked against real guest memory, and the per-sync check
 * against the guests' own record of their completed writes. drop-entries forgets one real ring
 * entry in a thousand (KVM still resets it); drop-bits one page in a thousand of the bitmap
 * KVM_GET_DIRTY_LOG returned; read-before-reset reads pages before the reset or CLEAR that
 * re-protects them, in a window forced open by pausing the vCPU between collection and re-arm
 * while its guest finishes a batch of writes. The same runs with correct collectors pass.
 */
import { expect, it } from 'vitest';
import { startRun, type BrokenCollector, type RunOptions, type Strategy } from '../src/index.ts';
import { describeOnKvm } from './support/conformance.ts';

// The defaults: 64 MiB, two vCPUs writing random pages as fast as their guests go.
const dense = { backend: 'kvm', iterations: 2, verify: true } as const satisfies Omit<RunOptions, 'strategy'>;
const BROKEN: { strategy: Strategy; brokenCollector: BrokenCollector }[] = [
  { strategy: 'ring', brokenCollector: 'drop-entries' },
  { strategy: 'bitmap', brokenCollector: 'drop-bits' },
  { strategy: 'clear-log', brokenCollector: 'drop-bits' },
];

describeOnKvm('the verifier on real KVM', () => {
  it.each(BROKEN)('catches $strategy with a collector that does $brokenCollector', async (b) => {
    const result = await startRun({ ...dense, ...b }).result;
    expect(result.kind).toBe('completed');
    if (result.verification.kind !== 'failed') throw new Error(`expected a failed verification, got ${result.verification.kind}`);
    // A lost page: caught at the sync that lost it, or by the round's stamps when its write raced
    // that sync. Under clear-log a dropped bit is never CLEARed, so KVM reports the page again a
    // round later with its old stamp: which of the two the verifier meets first is a race.
    const lost = ['written-but-not-collected', 'written-but-not-reported', ...(b.strategy === 'clear-log' ? ['reported-but-stale'] : [])];
    expect(lost).toContain(result.verification.violations[0]!.kind);
  }, 30_000);

  it.each(['ring', 'bitmap', 'clear-log'] as const)('passes %s with the correct collector on the same workload', async (strategy) => {
    const result = await startRun({ ...dense, strategy }).result;
    expect(result.verification).toMatchObject({ kind: 'passed' });
  }, 30_000);

  // A 4096-write batch between two looks at the stop word: a guest paused mid-batch rewrites every page of the 64 before it stops.
  const window = (strategy: Strategy): RunOptions => ({
    backend: 'kvm', strategy, vcpus: 1, memory: '256KiB', pattern: 'sequential', iterations: 1, seconds: 5, verify: true, minWrites: 0,
    inject: { pauseBeforeFirstRearm: true, guestBatchWrites: 4096 },
  });

  it.each(['ring', 'clear-log'] as const)('%s: catches a collector that reads contents before the re-arm (the mirror misses the rewrites)', async (strategy) => {
    const result = await startRun({ ...window(strategy), brokenCollector: 'read-before-reset' }).result;
    if (result.verification.kind !== 'failed') throw new Error(`expected a failed verification, got ${result.verification.kind}`);
    expect(result.verification.mirrorDiffers.length).toBeGreaterThan(0);
  }, 30_000);

  it.each(['ring', 'clear-log'] as const)('%s: passes the correct collector under the same interleaving', async (strategy) => {
    const result = await startRun(window(strategy)).result;
    expect(result.verification).toMatchObject({ kind: 'passed' });
  }, 30_000);
});
