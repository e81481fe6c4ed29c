import { expect, it } from 'vitest';
import { SevVm } from '../../../src/vmstate/index.ts';

it('vCPU state is not saved while a KVM_EXIT_HYPERCALL awaits its completing KVM_RUN (invariant 15)', () => {
  const vm = new SevVm(2, 'engine');
  vm.convert(1, 'shared');
  expect(vm.saveVcpuState()).toMatchObject({ kind: 'refused', reason: (expect.stringContaining('KVM_RUN once') as string) });
  // A second hypercall cannot be issued either: the vCPU has not re-entered.
  expect(vm.convert(0, 'shared')).toMatchObject({ kind: 'error', errno: 'EINVAL' });
  vm.kvmRun();
  expect(vm.saveVcpuState()).toEqual({ kind: 'saved' });
});
