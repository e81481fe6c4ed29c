/**
 * On the kvm backend, as on the model, a failing thread ends the run with an error naming it
 * and a result that keeps what finished: a vCPU thread that throws, and a collector that never
 * resets, blamed by the vCPU whose full ring waited for it (KVM_EXIT_DIRTY_RING_FULL, then a
 * bounded wait for KVM_RESET_DIRTY_RINGS).
 */
import { expect, it } from 'vitest';
import { startRun } from '../src/index.ts';
import { describeOnKvm } from './support/conformance.ts';

describeOnKvm('failures in a kvm run', () => {
  it('a vCPU thread that throws is named, with its vCPU', async () => {
    const r = await startRun({ backend: 'kvm', strategy: 'bitmap', iterations: 100, inject: { vcpuFailsAfterSlices: { vcpu: 1, slices: 4 } } }).result;
    if (r.kind !== 'failed') throw new Error(`expected a failed run, got ${r.kind}`);
    expect(r.error).toMatchObject({ thread: 'vcpu', vcpu: 1 });
    expect(r.error.message).toMatch(/^vCPU 1: injected failure after 4 slices/);
  }, 30_000);

  it('a collector that never resets is blamed by the vCPU stuck on its full ring', async () => {
    const r = await startRun({
      backend: 'kvm', strategy: 'ring', ringEntries: 256, vcpus: 1, pattern: 'sequential', iterations: 1, seconds: 10,
      inject: { collectorHangs: true }, timeouts: { fullWaitMs: 500, stopMs: 1000 },
    }).result;
    if (r.kind !== 'failed') throw new Error(`expected a failed run, got ${r.kind}`);
    expect(r.error).toMatchObject({ thread: 'collector' });
    expect(r.error.message).toMatch(/the collector did not reset vCPU 0's full ring within 500 ms/);
    expect(r.threads[0]!.fullExits).toBe(1);
  }, 30_000);
});
