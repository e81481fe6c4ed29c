/** GET/CLEAR fail as KVM does: -ENXIO in pure ring mode, -ENOENT with logging off. */
import { describe, expect, it } from 'vitest';
import { createVm } from '../src/index.ts';
import { engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it('ring mode without the backup bitmap: -ENXIO, with the fix', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 64 }], vcpus: 1 });
    expect(() => vm.slot(0).getDirtyLog()).toThrow(/-ENXIO\): enable ringWithBitmap, or harvest the rings/);
    expect(() => vm.slot(0).clearDirtyLog(0, 64, new Uint8Array(8))).toThrow(/-ENXIO/);
  });

  it('logging off: -ENOENT, with the fix', async () => {
    const vm = await createVm({ engine, slots: [{ pages: 64, logDirtyPages: false }], vcpus: 1 });
    expect(() => vm.slot(0).getDirtyLog()).toThrow(/-ENOENT\): call enableDirtyLogging\(\) first/);
  });

  it('resetDirtyRings without a ring: -EINVAL, with the fix', async () => {
    const vm = await createVm({ engine, slots: [{ pages: 64 }], vcpus: 1 });
    expect(() => vm.resetDirtyRings()).toThrow(/-EINVAL\): call enableDirtyRing first/);
  });
});
