/**
 * The KVM verbs refuse bad arguments with a TypeError or RangeError that names the argument,
 * and verbs called in the wrong KVM order with a KvmError (a RangeError) carrying KVM's errno;
 * nothing is a plain Error, and nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { createVm, KvmError } from '../src/index.ts';

const thrown = (call: () => unknown): unknown => {
  try {
    call();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
};

describe('bad arguments', () => {
  it.each([
    ['resetDirtyRings(null)', (vm: Awaited<ReturnType<typeof createVm>>) => vm.resetDirtyRings(null as never), TypeError, /options must be a plain object, got null/],
    ['resetDirtyRings({ limt: 1 })', (vm: Awaited<ReturnType<typeof createVm>>) => vm.resetDirtyRings({ limt: 1 } as never), TypeError, /options\.limt is not an option: did you mean limit\?/],
    ['resetDirtyRings({ limit: -1 })', (vm: Awaited<ReturnType<typeof createVm>>) => vm.resetDirtyRings({ limit: -1 }), RangeError, /options\.limit must be between 0 and 2147483647, got -1/],
    ["setResetSignalPending('yes')", (vm: Awaited<ReturnType<typeof createVm>>) => vm.setResetSignalPending('yes' as never), TypeError, /pending must be true or false, got "yes"/],
    ['setResetSignalPending()', (vm: Awaited<ReturnType<typeof createVm>>) => (vm.setResetSignalPending as () => void)(), TypeError, /pending must be true or false, got undefined/],
    ['write(slot, 1.5)', (vm: Awaited<ReturnType<typeof createVm>>) => vm.vcpus[0]!.write(vm.slot(0), 1.5), TypeError, /page must be an integer, got 1\.5/],
    ['write(slot, page, -1)', (vm: Awaited<ReturnType<typeof createVm>>) => vm.vcpus[0]!.write(vm.slot(0), 1, -1), RangeError, /stamp must be between 0 and 4294967295, got -1/],
    ['write({}, 1)', (vm: Awaited<ReturnType<typeof createVm>>) => vm.vcpus[0]!.write({} as never, 1), TypeError, /slot must be a Memslot from vm\.slot\(id\), got an object/],
  ] as const)('%s', async (_name, call, type, message) => {
    const vm = await createVm({ dirtyRing: { entries: 256 }, slots: [{ pages: 64 }], vcpus: 1 });
    const before = new Uint8Array(vm.arena.memory.buffer).slice();
    const err = thrown(() => call(vm));
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    expect(Buffer.compare(new Uint8Array(vm.arena.memory.buffer), before)).toBe(0);
  });
});

describe('verbs out of KVM order: KvmError with the errno', () => {
  it.each([
    ['a second enableDirtyRing', async () => {
      const vm = await createVm({ dirtyRing: { entries: 256 } });
      return () => vm.enableDirtyRing({ entries: 256 });
    }, 'EINVAL', /already enabled/],
    ['enableDirtyRing after a vCPU', async () => {
      const vm = await createVm({ vcpus: 1 });
      return () => vm.enableDirtyRing({ entries: 256 });
    }, 'EINVAL', /enable the dirty ring before creating vCPUs/],
    ['enableDirtyRingWithBitmap without the ring', async () => {
      const vm = await createVm({ arch: 'arm64' });
      return () => vm.enableDirtyRingWithBitmap();
    }, 'EINVAL', /call enableDirtyRing first/],
    ['a slot defined again with another size', async () => {
      const vm = await createVm({ slots: [{ pages: 1 }] });
      return () => vm.setUserMemoryRegion({ slot: 0, pages: 2 });
    }, 'EINVAL', /slot 0 already exists with 1 pages, got 2: keep its size/],
    ['a vCPU past maxVcpus', async () => {
      const vm = await createVm({ vcpus: 1, maxVcpus: 1 });
      return () => vm.createVcpu();
    }, 'EINVAL', /raise options\.maxVcpus/],
  ] as const)('%s', async (_name, setup, code, message) => {
    const err = thrown(await setup());
    expect(err).toBeInstanceOf(KvmError);
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ code, message: expect.stringMatching(message) as unknown });
  });

  it('contradictory capabilities are a RangeError naming the fix, not a plain Error', async () => {
    const vm = await createVm({ pml: true });
    const err = thrown(() => vm.enableDirtyRing({ entries: 4096 }));
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/set dirtyRing\.pml to true/);
  });
});
