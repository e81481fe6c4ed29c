/**
 * Conformance, errnos: every bad configuration gets the errno real KVM gives, on both
 * engines; what KVM accepts late (memslots, manual protect after vCPUs) the model accepts too,
 * within what it reserved. The one deliberate deviation is named and pinned.
 */
import { expect, it } from 'vitest';
import { createVm, type CreateVmOptions, type Vm } from '../src/index.ts';
import { BACKENDS, describeOnKvm, errnoOf } from './support/conformance.ts';

const cases: { name: string; options: CreateVmOptions; call: (vm: Vm) => unknown; errno: string }[] = [
  { name: 'a ring of 1000 entries (not a power of two)', options: {}, call: (vm) => vm.enableDirtyRing({ entries: 1000 }), errno: 'EINVAL' },
  { name: 'a ring of 128 entries (below the minimum)', options: {}, call: (vm) => vm.enableDirtyRing({ entries: 128 }), errno: 'EINVAL' },
  { name: 'a ring of 131072 entries (above the maximum)', options: {}, call: (vm) => vm.enableDirtyRing({ entries: 131072 }), errno: 'E2BIG' },
  { name: 'the ring after a vCPU', options: { vcpus: 1 }, call: (vm) => vm.enableDirtyRing({ entries: 256 }), errno: 'EINVAL' },
  { name: 'the ring twice', options: { dirtyRing: { entries: 256 } }, call: (vm) => vm.enableDirtyRing({ entries: 256 }), errno: 'EINVAL' },
  { name: 'ring with bitmap on x86', options: { dirtyRing: { entries: 256 } }, call: (vm) => vm.enableDirtyRingWithBitmap(), errno: 'EINVAL' },
  { name: 'GET on a ring VM', options: { dirtyRing: { entries: 256 }, slots: [{ pages: 64 }] }, call: (vm) => vm.slot(0).getDirtyLog(), errno: 'ENXIO' },
  { name: 'CLEAR on a ring VM', options: { dirtyRing: { entries: 256 }, slots: [{ pages: 64 }] }, call: (vm) => vm.slot(0).clearDirtyLog(0, 64, new Uint8Array(8)), errno: 'ENXIO' },
  { name: 'a reset without a ring', options: { vcpus: 1 }, call: (vm) => vm.resetDirtyRings(), errno: 'EINVAL' },
  { name: 'GET with logging off', options: { slots: [{ pages: 64, logDirtyPages: false }] }, call: (vm) => vm.slot(0).getDirtyLog(), errno: 'ENOENT' },
  { name: 'CLEAR at a misaligned first page', options: { manualProtect: true, slots: [{ pages: 128 }] }, call: (vm) => vm.slot(0).clearDirtyLog(1, 64, new Uint8Array(8)), errno: 'EINVAL' },
  { name: 'CLEAR past the slot end', options: { manualProtect: true, slots: [{ pages: 128 }] }, call: (vm) => vm.slot(0).clearDirtyLog(64, 128, new Uint8Array(16)), errno: 'EINVAL' },
  { name: 'CLEAR of a partial word short of the end', options: { manualProtect: true, slots: [{ pages: 128 }] }, call: (vm) => vm.slot(0).clearDirtyLog(0, 10, new Uint8Array(8)), errno: 'EINVAL' },
  { name: 'a new memslot of 0 pages', options: {}, call: (vm) => vm.setUserMemoryRegion({ slot: 0, pages: 0 }), errno: 'EINVAL' },
  { name: 'a memslot of 2^31 pages', options: {}, call: (vm) => vm.setUserMemoryRegion({ slot: 0, pages: 2 ** 31 }), errno: 'EINVAL' },
  { name: 'memslot id 32764', options: {}, call: (vm) => vm.setUserMemoryRegion({ slot: 32764, pages: 1 }), errno: 'EINVAL' },
  { name: 'a memslot resized', options: { slots: [{ pages: 64 }] }, call: (vm) => vm.setUserMemoryRegion({ slot: 0, pages: 128 }), errno: 'EINVAL' },
  { name: 'a memslot after vCPUs', options: { vcpus: 1, maxSlots: 2, maxMemory: 1 << 20, slots: [{ pages: 64 }] }, call: (vm) => vm.setUserMemoryRegion({ slot: 1, pages: 64 }), errno: 'accepted' },
  { name: 'manual protect after vCPUs', options: { vcpus: 1, slots: [{ pages: 64 }] }, call: (vm) => vm.enableManualDirtyLogProtect(), errno: 'accepted' },
];

describeOnKvm('conformance: errnos on real KVM and the model', () => {
  it.each(cases)('$name: $errno', async ({ options, call, errno }) => {
    for (const b of BACKENDS) {
      const vm = await createVm({ ...options, ...b.options });
      expect([b.name, errnoOf(() => call(vm))]).toEqual([b.name, errno]);
    }
  });

  it('deviation: manual protect with INITIALLY_SET and a ring is accepted by KVM (and never logs mapped pages) but refused by the model', async () => {
    const kvm = await createVm({ backend: 'kvm', dirtyRing: { entries: 256 } });
    expect(errnoOf(() => kvm.enableManualDirtyLogProtect({ initiallySet: true }))).toBe('accepted');
    const model = await createVm({ dirtyRing: { entries: 256 } });
    expect(() => model.enableManualDirtyLogProtect({ initiallySet: true })).toThrow(/initiallySet with the dirty ring would report every page dirty/);
  });

  it('a memslot defined after vCPUs really logs, on both backends', async () => {
    for (const b of BACKENDS) {
      const v = await createVm({ ...b.options, dirtyRing: { entries: 256 }, maxSlots: 2, maxMemory: 1 << 20, slots: [{ pages: 64 }], vcpus: 1 });
      const late = v.setUserMemoryRegion({ slot: 1, pages: 64 });
      expect([b.name, v.vcpus[0]!.write(late, 9).kind, v.vcpus[0]!.ring!.harvest().map((e) => [e.slotId, e.offset])]).toEqual([b.name, 'ring', [[1, 9n]]]);
    }
  });
});
