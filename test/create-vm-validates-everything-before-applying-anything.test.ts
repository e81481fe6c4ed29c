/** createVm checks every option up front; a bad one names itself and nothing is half-applied. */
import { describe, expect, it } from 'vitest';
import { createVm, MAX_VCPUS, Vm } from '../src/index.ts';

describe('createVm options', () => {
  it.each([
    [{ engine: 'c' }, TypeError, /options\.engine must be one of wasm, js, got "c"/],
    [{ maxVcpus: 0 }, RangeError, new RegExp(`options\\.maxVcpus must be between 1 and ${MAX_VCPUS}, got 0: dirtylog's arena holds at most ${MAX_VCPUS} vCPUs`)],
    [{ vcpus: MAX_VCPUS + 1 }, RangeError, new RegExp(`options\\.vcpus must be between 0 and ${MAX_VCPUS}`)],
    [{ vcpus: 3, maxVcpus: 2 }, RangeError, /options\.vcpus must be at most options\.maxVcpus \(2\), got 3: raise maxVcpus/],
    [{ slots: [{ pages: 0 }] }, RangeError, /region\.pages must be between 1 and 2147483647/],
    [{ slots: [{ pages: 2 ** 31 }] }, RangeError, /split larger guests into several slots/],
    [{ slots: [{ pages: 10, contents: 'yes' }] }, TypeError, /region\.contents must be true or false/],
    [{ dirtyRing: { entries: 100 } }, RangeError, /dirtyRing\.entries must be a power of two/],
    [{ vpcus: 2 }, TypeError, /options\.vpcus is not an option: did you mean vcpus\?/],
    [{ slots: [{ pages: 10, slot: 7 }] }, TypeError, /options\.slots\[0\]\.slot is not an option/],
    [Object.create({ vcpus: 1 }), TypeError, /options must be a plain object/],
    [{ slots: { pages: 1 } }, TypeError, /options\.slots must be an array/],
  ])('%o', async (options, error, message) => {
    await expect(createVm(options as never)).rejects.toThrow(error);
    await expect(createVm(options as never)).rejects.toThrow(message);
  });

  it('a late error leaves no earlier step applied (validated on a shadow VM first)', async () => {
    const vm = await createVm({ maxVcpus: 1 });
    expect(() => vm.prepare({ dirtyRing: { entries: 256 }, slots: [{ pages: 10 }, { pages: -1 }] })).toThrow(/region\.pages/);
    expect(vm.dirtyRing).toBeUndefined();
    expect(vm.slots).toEqual([]);
    expect(vm).toBeInstanceOf(Vm);
  });

  it('refuses more vCPUs than maxVcpus, and memslots after the first vCPU beyond what maxSlots and maxMemory reserved', async () => {
    const vm = await createVm({ maxVcpus: 1, slots: [{ pages: 10 }], vcpus: 1 });
    expect(() => vm.createVcpu()).toThrow(/already has maxVcpus \(1\) vCPUs and devices: raise options\.maxVcpus/);
    expect(() => vm.setUserMemoryRegion({ slot: 1, pages: 10 })).toThrow(/raise options\.maxSlots in createVm to 2 or more/);
    expect(() => vm.setUserMemoryRegion({ slot: 0, pages: 11 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('refuses an arena that does not fit Wasm32', async () => {
    await expect(createVm({ slots: [{ pages: 2 ** 20, contents: true }], vcpus: 1 })).rejects.toThrow(/MiB more than the 4 GiB a Wasm32 memory holds: .*turn off page contents/);
  });
});
