/** GET/CLEAR fail as KVM does: ENXIO in pure ring mode, ENOENT with logging off; the errno is err.code. */
import { describe, expect, it } from 'vitest';
import { createVm, KvmError } from '../src/index.ts';
import { engines } from './support/engines.ts';

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe.each(engines)('$engine engine', ({ engine }) => {
  it('ring mode without the backup bitmap: ENXIO, with the fix', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 64 }], vcpus: 1 });
    const err = thrown(() => vm.slot(0).getDirtyLog());
    expect(err).toBeInstanceOf(KvmError);
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ code: 'ENXIO', message: expect.stringMatching(/enable ringWithBitmap, or harvest the rings/) as unknown });
    expect(thrown(() => vm.slot(0).clearDirtyLog(0, 64, new Uint8Array(8)))).toMatchObject({ code: 'ENXIO' });
  });

  it('logging off: ENOENT, with the fix', async () => {
    const vm = await createVm({ engine, slots: [{ pages: 64, logDirtyPages: false }], vcpus: 1 });
    expect(thrown(() => vm.slot(0).getDirtyLog())).toMatchObject({ code: 'ENOENT', message: expect.stringMatching(/call enableDirtyLogging\(\) first/) as unknown });
  });

  it('resetDirtyRings without a ring: EINVAL, with the fix', async () => {
    const vm = await createVm({ engine, slots: [{ pages: 64 }], vcpus: 1 });
    expect(thrown(() => vm.resetDirtyRings())).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/call enableDirtyRing first/) as unknown });
  });
});
