import { describe, expect, it } from 'vitest';
import { KVM_EXIT_HYPERCALL, KVM_HC_MAP_GPA_RANGE, SevVm } from '../../../src/vmstate/index.ts';

describe('a MAP_GPA_RANGE conversion (invariant 15)', () => {
  it('engine: exits to userspace, drops the old contents and re-dirties the frame so it is sent again', () => {
    const vm = new SevVm(4, 'engine');
    vm.guestWrite(2, 'secret');
    vm.getDirty();
    const out = vm.convert(2, 'shared');
    expect(out).toMatchObject({ kind: 'exit', exitReason: KVM_EXIT_HYPERCALL, nr: KVM_HC_MAP_GPA_RANGE, args: [0x2000n, 1n, 0n] });
    expect(vm.frames[2]!.data).toEqual([{ text: 'zeros', type: 'shared' }]);
    expect(vm.getDirty()).toEqual([2]);
  });

  it('unsafe (naive): the frame keeps its contents and is not dirtied again', () => {
    const vm = new SevVm(4, 'naive');
    vm.guestWrite(2, 'secret');
    vm.getDirty();
    expect(vm.convert(2, 'shared').kind).toBe('done');
    expect(vm.frames[2]!.data).toEqual([{ text: 'secret', type: 'private' }]);
    expect(vm.getDirty()).toEqual([]);
  });
});
