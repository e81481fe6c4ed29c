/**
 * A write to an armed page disarms it and logs it once; further writes in the round log
 * nothing; re-arming (reset, GET, CLEAR) starts a new round.
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../src/index.ts';
import { engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it('ring mode: first write logs into the writer\'s ring, repeats are clean until the reset', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 100 }], vcpus: 2 });
    const [a, b] = vm.vcpus;
    const slot = vm.slot(0);
    expect(a!.write(slot, 42).kind).toBe('ring');
    expect(a!.write(slot, 42).kind).toBe('clean');
    expect(b!.write(slot, 42).kind).toBe('clean'); // lands only in the first faulting vCPU's ring
    expect([a!.ring!.used, b!.ring!.used]).toEqual([1, 0]);
    a!.ring!.harvest();
    vm.resetDirtyRings();
    expect(b!.write(slot, 42).kind).toBe('ring');
    expect(b!.ring!.used).toBe(1);
  });

  it('bitmap mode: first write sets the bit, GET re-arms, the next write logs again', async () => {
    const vm = await createVm({ engine, slots: [{ pages: 100 }], vcpus: 1 });
    const cpu = vm.vcpus[0]!;
    const slot = vm.slot(0);
    expect(cpu.write(slot, 7).kind).toBe('bitmap');
    expect(cpu.write(slot, 7).kind).toBe('clean');
    expect(slot.getDirtyLog().dirtyPages).toBe(1);
    expect(slot.getDirtyLog().dirtyPages).toBe(0);
    expect(cpu.write(slot, 7).kind).toBe('bitmap');
  });

  it('a slot without dirty logging never faults', async () => {
    const vm = await createVm({ engine, slots: [{ pages: 100, logDirtyPages: false }], vcpus: 1 });
    expect(vm.vcpus[0]!.write(vm.slot(0), 1).kind).toBe('clean');
    vm.slot(0).enableDirtyLogging();
    expect(vm.vcpus[0]!.write(vm.slot(0), 1).kind).toBe('bitmap');
  });

  it('content mode stamps the page after logging it', async () => {
    const vm = await createVm({ engine, slots: [{ pages: 4, contents: true }], vcpus: 1 });
    vm.vcpus[0]!.write(vm.slot(0), 2, 17);
    vm.vcpus[0]!.write(vm.slot(0), 2, 18); // clean, but the write still lands
    expect(vm.slot(0).stamp(2)).toBe(18n);
    expect(vm.slot(0).stamp(1)).toBe(0n);
  });

  it('rejects a page outside the slot and changes nothing', async () => {
    const vm = await createVm({ engine, slots: [{ pages: 100 }], vcpus: 1 });
    expect(() => vm.vcpus[0]!.write(vm.slot(0), 100)).toThrow(RangeError);
    expect(() => vm.vcpus[0]!.write(vm.slot(0), -1)).toThrow(/page must be between 0 and 99/);
    expect(vm.slot(0).getDirtyLog().dirtyPages).toBe(0);
  });
});
