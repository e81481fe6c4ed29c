/** KVM_GET_DIRTY_LOG without manual protect: returns the bitmap, clears it, re-arms those pages. */
import { describe, expect, it } from 'vitest';
import { createVm, pagesOf } from '../src/index.ts';
import { engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it('returns KVM\'s bitmap (whole 64-bit words, LE bit order) and re-arms exactly the dirty pages', async () => {
    const vm = await createVm({ engine, slots: [{ pages: 1000 + 3 }], vcpus: 1 });
    const slot = vm.slot(0);
    const dirty = [0, 63, 64, 511, 512, 1002];
    for (const p of dirty) vm.vcpus[0]!.write(slot, p);
    vm.vcpus[0]!.write(slot, 700);
    slot.disableDirtyLogging(); // 700 and the rest disarmed...
    slot.enableDirtyLogging(); // ...then every page re-armed and the bitmap dropped
    for (const p of dirty) vm.vcpus[0]!.write(slot, p);
    const log = slot.getDirtyLog();
    expect(log.bitmap.byteLength).toBe(Math.ceil(1003 / 64) * 8);
    expect(pagesOf(log.bitmap)).toEqual(dirty);
    expect(log.dirtyPages).toBe(dirty.length);
    expect(new DataView(log.bitmap.buffer).getBigUint64(0, true)).toBe((1n << 63n) | 1n);
    for (const p of dirty) expect(slot.isArmed(p)).toBe(true);
    expect(slot.getDirtyLog().dirtyPages).toBe(0);
  });

  it('hands the caller a copy that later writes do not change', async () => {
    const vm = await createVm({ engine, slots: [{ pages: 128 }], vcpus: 1 });
    vm.vcpus[0]!.write(vm.slot(0), 1);
    const log = vm.slot(0).getDirtyLog();
    vm.vcpus[0]!.write(vm.slot(0), 2);
    expect(pagesOf(log.bitmap)).toEqual([1]);
  });
});
