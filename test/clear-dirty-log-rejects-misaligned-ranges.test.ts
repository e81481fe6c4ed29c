/** CLEAR's -EINVAL rules, as RangeErrors naming the rule and the fix; nothing is changed. */
import { describe, expect, it } from 'vitest';
import { createVm } from '../src/index.ts';
import { engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it.each([
    { first: 10, num: 64, message: /firstPage \(10\) must be a multiple of 64: use 0/ },
    { first: 0, num: 100, message: /numPages \(100\) must be a multiple of 64 unless the range reaches the slot end \(200\): use 64 or 200/ },
    { first: 128, num: 128, message: /firstPage \+ numPages \(256\) runs past the slot's 200 pages: shorten numPages to 72/ },
  ])('first $first num $num', async ({ first, num, message }) => {
    const vm = await createVm({ engine, manualProtect: true, slots: [{ pages: 200 }], vcpus: 1 });
    const slot = vm.slot(0);
    for (let p = 0; p < 200; p++) vm.vcpus[0]!.write(slot, p);
    expect(() => slot.clearDirtyLog(first, num, new Uint8Array(64).fill(0xff))).toThrow(RangeError);
    expect(() => slot.clearDirtyLog(first, num, new Uint8Array(64).fill(0xff))).toThrow(message);
    expect(slot.getDirtyLog().dirtyPages).toBe(200);
  });

  it('rejects a bitmap too short for numPages', async () => {
    const vm = await createVm({ engine, manualProtect: true, slots: [{ pages: 200 }], vcpus: 1 });
    expect(() => vm.slot(0).clearDirtyLog(0, 128, new Uint8Array(8))).toThrow(/bitmap must hold 16 bytes for numPages 128/);
  });
});
