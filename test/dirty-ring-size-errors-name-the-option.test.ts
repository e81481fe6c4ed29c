/** Bad ring configuration throws a TypeError/RangeError naming dirtyRing.entries and the fix. */
import { describe, expect, it } from 'vitest';
import { createVm } from '../src/index.ts';

describe('enableDirtyRing validation', () => {
  it.each([
    { entries: 1000, pml: false, error: RangeError, message: /dirtyRing\.entries must be a power of two, got 1000: try 1024/ },
    { entries: 128, pml: false, error: RangeError, message: /at least 256, got 128/ },
    { entries: 512, pml: true, error: RangeError, message: /at least 1024 with PML on .*got 512/ },
    { entries: 131072, pml: false, error: RangeError, message: /at most 65536 \(KVM_DIRTY_RING_MAX_ENTRIES\)/ },
    { entries: 65536 * 16, pml: false, error: RangeError, message: /if 1048576 is KVM's size in bytes, that is 65536 entries/ },
    { entries: 0, pml: false, error: RangeError, message: /power of two/ },
    { entries: '4096', pml: false, error: TypeError, message: /dirtyRing\.entries must be an integer/ },
  ])('entries $entries, pml $pml', async ({ entries, pml, error, message }) => {
    const vm = await createVm({ maxVcpus: 1 });
    expect(() => vm.enableDirtyRing({ entries: entries as number, pml })).toThrow(error);
    expect(() => vm.enableDirtyRing({ entries: entries as number, pml })).toThrow(message);
    expect(vm.dirtyRing).toBeUndefined();
  });

  it('accepts the KVM minimums: 256 without PML, 1024 with', async () => {
    expect((await createVm({ dirtyRing: { entries: 256 } })).dirtyRing?.softLimit).toBe(192);
    expect((await createVm({ dirtyRing: { entries: 1024, pml: true } })).dirtyRing?.softLimit).toBe(448);
  });

  it('refuses to enable the ring after a vCPU exists', async () => {
    const vm = await createVm({ slots: [{ pages: 64 }], vcpus: 1 });
    expect(() => vm.enableDirtyRing({ entries: 4096 })).toThrow(/enableDirtyRing: .*before creating vCPUs/);
    expect(vm.dirtyRing).toBeUndefined();
  });

  it('refuses a second enable, as KVM does', async () => {
    const vm = await createVm({ dirtyRing: { entries: 4096 } });
    expect(() => vm.enableDirtyRing({ entries: 1024 })).toThrow(/already enabled/);
    expect(vm.dirtyRing?.entries).toBe(4096);
  });

  it('rejects an unknown option key instead of ignoring it', async () => {
    const vm = await createVm();
    expect(() => vm.enableDirtyRing({ entries: 4096, pm1: true } as never)).toThrow(/dirtyRing\.pm1 is not an option/);
  });
});
