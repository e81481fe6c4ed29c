/**
 * The reset walk is bounded: by a count (KVM: INT_MAX shared across all rings) and by a
 * pending signal, so a userspace that keeps feeding RESET entries cannot pin the resetter.
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../src/index.ts';
import { engines } from './support/engines.ts';

async function harvested(engine: 'wasm' | 'js', perVcpu: number, vcpus = 1) {
  const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 1000 }], vcpus });
  for (const cpu of vm.vcpus) {
    for (let p = 0; p < perVcpu; p++) cpu.ring!.push(vm.slot(0), p);
    cpu.ring!.harvest();
  }
  return vm;
}

describe.each(engines)('$engine engine', ({ engine }) => {
  it('stops after `limit` entries and continues from there next time', async () => {
    const vm = await harvested(engine, 100);
    expect(vm.resetDirtyRings({ limit: 30 })).toBe(30);
    expect(vm.vcpus[0]!.ring!.used).toBe(70);
    expect(vm.resetDirtyRings()).toBe(70);
  });

  it('shares the limit across every vCPU ring', async () => {
    const vm = await harvested(engine, 50, 3);
    expect(vm.resetDirtyRings({ limit: 120 })).toBe(120);
    expect(vm.vcpus.map((c) => c.ring!.used)).toEqual([0, 0, 30]);
  });

  it('resets nothing while a signal is pending, then everything once it clears', async () => {
    const vm = await harvested(engine, 40);
    vm.setResetSignalPending(true);
    expect(vm.resetDirtyRings()).toBe(0);
    vm.setResetSignalPending(false);
    expect(vm.resetDirtyRings()).toBe(40);
  });

  it('counts one VM-wide TLB flush per reset that reset anything', async () => {
    const vm = await harvested(engine, 10, 2);
    vm.resetDirtyRings();
    vm.resetDirtyRings();
    expect(vm.stats.tlbFlushes).toBe(1);
  });
});
