/**
 * KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP: writes with no vCPU land in the slot's backup bitmap;
 * without it KVM warns and the write is not logged (counted here).
 */
import { describe, expect, it } from 'vitest';
import { createVm, pagesOf } from '../src/index.ts';
import { engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it('with the backup bitmap: device writes are collected by GET after the rings', async () => {
    const vm = await createVm({ engine, arch: 'arm64', dirtyRing: { entries: 256 }, ringWithBitmap: true, slots: [{ pages: 100 }], vcpus: 1 });
    expect(vm.deviceWrite(vm.slot(0), 9).kind).toBe('bitmap');
    expect(vm.vcpus[0]!.write(vm.slot(0), 10).kind).toBe('ring');
    expect(pagesOf(vm.slot(0).getDirtyLog().bitmap)).toEqual([9]);
    expect(vm.vcpus[0]!.ring!.harvest().map((e) => e.offset)).toEqual([10n]);
  });

  it('without it: not logged and counted, every time; write protection stays, so a vCPU write still logs', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 100 }], vcpus: 1 });
    expect(vm.deviceWrite(vm.slot(0), 9).kind).toBe('not-logged');
    expect(vm.deviceWrite(vm.slot(0), 9).kind).toBe('not-logged');
    expect(vm.stats.noVcpuLogs).toBe(2);
    expect(vm.slot(0).isArmed(9)).toBe(true);
    expect(vm.vcpus[0]!.write(vm.slot(0), 9).kind).toBe('ring');
  });

  it('kvm_write_guest bypasses the MMU: a device write neither needs nor clears write protection', async () => {
    const vm = await createVm({ engine, arch: 'arm64', dirtyRing: { entries: 256 }, ringWithBitmap: true, slots: [{ pages: 100 }], vcpus: 1 });
    expect(vm.vcpus[0]!.write(vm.slot(0), 5).kind).toBe('ring'); // disarmed by the vCPU's fault
    expect(vm.deviceWrite(vm.slot(0), 5).kind).toBe('bitmap'); // logged anyway
    expect(vm.deviceWrite(vm.slot(0), 6).kind).toBe('bitmap');
    expect(vm.slot(0).isArmed(6)).toBe(true);
    expect(vm.vcpus[0]!.write(vm.slot(0), 6).kind).toBe('ring'); // still protected: the vCPU logs it too
    expect(pagesOf(vm.slot(0).getDirtyLog().bitmap)).toEqual([5, 6]);
  });

  it('must be enabled after the ring and before any memslot', async () => {
    const vm = await createVm({ arch: 'arm64' });
    expect(() => vm.enableDirtyRingWithBitmap()).toThrow(/the dirty ring is off: call enableDirtyRing first/);
    vm.enableDirtyRing({ entries: 256 });
    vm.setUserMemoryRegion({ slot: 0, pages: 10 });
    expect(() => vm.enableDirtyRingWithBitmap()).toThrow(/memslots already exist/);
    expect(vm.ringWithBitmap).toBe(false);
  });

  it('exists only on arm64: an x86 VM (the default) refuses it with EINVAL, as KVM does', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 } });
    expect(vm.arch).toBe('x86');
    expect(() => vm.enableDirtyRingWithBitmap()).toThrow(expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/only on arm64: use createVm\(\{ arch: 'arm64' \}\)/) as unknown }));
    expect(vm.ringWithBitmap).toBe(false);
  });
});
