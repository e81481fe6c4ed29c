/**
 * KVM_CLEAR_DIRTY_LOG clears the given bits and re-arms only pages whose bit was actually
 * set; bits for clean pages, outside the range, or past the slot end do nothing.
 */
import { describe, expect, it } from 'vitest';
import { createVm, pagesOf } from '../src/index.ts';
import { bitmapWith, engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it('re-arms the intersection of the argument and the dirty bitmap', async () => {
    const vm = await createVm({ engine, manualProtect: true, slots: [{ pages: 256 }], vcpus: 1 });
    const slot = vm.slot(0);
    for (const p of [64, 70, 130, 200]) vm.vcpus[0]!.write(slot, p);
    // Range [64, 192): bit j = page 64 + j. Ask for 70, 71 (clean) and 130.
    const rearmed = slot.clearDirtyLog(64, 128, bitmapWith([6, 7, 66], 128));
    expect(rearmed).toBe(2);
    expect(pagesOf(slot.getDirtyLog().bitmap)).toEqual([64, 200]);
    // 71 was never written, so it stayed armed; 64 was dirty but not asked for.
    expect([slot.isArmed(70), slot.isArmed(130), slot.isArmed(71), slot.isArmed(64)]).toEqual([true, true, true, false]);
  });

  it('ignores argument bits past numPages and past the slot end', async () => {
    const vm = await createVm({ engine, manualProtect: true, slots: [{ pages: 130 }], vcpus: 1 });
    const slot = vm.slot(0);
    for (let p = 0; p < 130; p++) vm.vcpus[0]!.write(slot, p);
    // Range [64, 130) reaches the slot end: 66 pages, legal though not a multiple of 64.
    const arg = new Uint8Array(16).fill(0xff);
    expect(slot.clearDirtyLog(64, 66, arg)).toBe(66);
    expect(pagesOf(slot.getDirtyLog().bitmap)).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it('a bit that is clean when CLEAR runs leaves its page disarmed (never re-arm unobserved pages)', async () => {
    const vm = await createVm({ engine, manualProtect: true, slots: [{ pages: 64 }], vcpus: 1 });
    const slot = vm.slot(0);
    expect(slot.clearDirtyLog(0, 64, bitmapWith([5], 64))).toBe(0);
    expect(slot.isArmed(5)).toBe(true); // armed since logging started, still armed
  });
});
