/**
 * KVM_DIRTY_LOG_INITIALLY_SET: logging starts with an all-ones bitmap and nothing armed, so
 * the first GET reports every page; CLEAR re-arms lazily. It never combines with the ring.
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../src/index.ts';
import { bitmapWith, engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it('first GET is all ones; writes before CLEAR do not fault; CLEAR re-arms', async () => {
    const vm = await createVm({ engine, manualProtect: { initiallySet: true }, slots: [{ pages: 67 }], vcpus: 1 });
    const slot = vm.slot(0);
    expect(slot.getDirtyLog().dirtyPages).toBe(67);
    expect(vm.vcpus[0]!.write(slot, 3).kind).toBe('clean');
    expect(slot.clearDirtyLog(0, 64, bitmapWith([3], 64))).toBe(1);
    expect(vm.vcpus[0]!.write(slot, 3).kind).toBe('bitmap');
    expect(slot.getDirtyLog().dirtyPages).toBe(67);
  });

  it('is refused together with the dirty ring, in either order', async () => {
    const a = await createVm();
    a.enableDirtyRing({ entries: 256 });
    expect(() => a.enableManualDirtyLogProtect({ initiallySet: true })).toThrow(/contradicting ring semantics/);
    const b = await createVm();
    b.enableManualDirtyLogProtect({ initiallySet: true });
    expect(() => b.enableDirtyRing({ entries: 256 })).toThrow(/drop initiallySet/);
  });
});
