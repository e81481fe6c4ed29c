/** KVM_GET_DIRTY_LOG with manual protect: a copy of the live bitmap; no clearing, no re-arming. */
import { describe, expect, it } from 'vitest';
import { createVm, pagesOf } from '../src/index.ts';
import { engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it('reports the same pages twice and leaves them disarmed', async () => {
    const vm = await createVm({ engine, manualProtect: true, slots: [{ pages: 300 }], vcpus: 1 });
    const slot = vm.slot(0);
    for (const p of [3, 200]) vm.vcpus[0]!.write(slot, p);
    expect(pagesOf(slot.getDirtyLog().bitmap)).toEqual([3, 200]);
    expect(pagesOf(slot.getDirtyLog().bitmap)).toEqual([3, 200]);
    expect(slot.isArmed(3)).toBe(false);
    expect(vm.vcpus[0]!.write(slot, 3).kind).toBe('clean');
  });
});
