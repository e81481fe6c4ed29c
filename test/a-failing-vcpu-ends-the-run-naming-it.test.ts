/** A vCPU that throws, or whose thread ends, fails the run with an error naming it; what was collected stays. */
import { describe, expect, it } from 'vitest';
import { startRun } from '../src/index.ts';

describe.each(['throw', 'exit'] as const)('a vCPU that does %s', (how) => {
  it('fails the run, names vCPU 1, keeps the partial results, stops the other threads', async () => {
    const t0 = performance.now();
    const result = await startRun({
      strategy: 'ring', vcpus: 3, memory: '4MiB', ringEntries: 256, seconds: 30, intervalMs: 30, verify: true,
      // 40 slices into round 3: rounds 1 and 2 are reported before it however late a timer fires
      sliceWrites: 256, writeRate: 200_000, inject: { vcpuFailsAfterSlices: { vcpu: 1, slices: 40, how, fromIteration: 3 } },
    }).result;
    if (result.kind !== 'failed') throw new Error(`expected a failed run, got ${result.kind}`);
    expect(result.error).toMatchObject({ thread: 'vcpu', vcpu: 1 });
    expect(result.error.message).toMatch(how === 'throw' ? /^vCPU 1: injected failure after 40 slices/ : /^vCPU 1 thread exited unexpectedly \(code 7\)/);
    expect(result.iterations.length).toBeGreaterThanOrEqual(2);
    expect(result.threads[0]!.writes).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(10_000); // well before the 30 s run or any 10 s timeout
  });
});
