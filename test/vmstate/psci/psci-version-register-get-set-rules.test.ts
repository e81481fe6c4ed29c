import { describe, expect, it } from 'vitest';
import { ARM_KERNELS, ArmVm, KVM_REG_ARM_PSCI_VERSION } from '../../../src/vmstate/index.ts';

describe('KVM_REG_ARM_PSCI_VERSION (invariant 11: 0.1 iff no PSCI_0_2 feature)', () => {
  it('GET returns LATEST for a PSCI_0_2 vCPU and 0.1 without the feature', () => {
    const vm = new ArmVm(ARM_KERNELS['linux-6.13'], [true, false]);
    expect(vm.getOneReg(0, KVM_REG_ARM_PSCI_VERSION)).toEqual({ kind: 'ok', value: 0x10003n });
    expect(vm.getOneReg(1, KVM_REG_ARM_PSCI_VERSION)).toEqual({ kind: 'ok', value: 0x1n });
  });

  it('SET rejects 0.1 with the feature, 1.0 without it, and unknown words, with -EINVAL', () => {
    const vm = new ArmVm(ARM_KERNELS['linux-6.13'], [true, false]);
    expect(vm.setOneReg(0, KVM_REG_ARM_PSCI_VERSION, 0x1n)).toMatchObject({ errno: 'EINVAL' });
    expect(vm.setOneReg(1, KVM_REG_ARM_PSCI_VERSION, 0x10000n)).toMatchObject({ errno: 'EINVAL' });
    expect(vm.setOneReg(0, KVM_REG_ARM_PSCI_VERSION, 0x10004n)).toMatchObject({ errno: 'EINVAL' });
    expect(vm.effectivePsci(0)).toBe('1.3');
  });

  it('a write on one vCPU changes the version for the whole VM', () => {
    const vm = new ArmVm(ARM_KERNELS['linux-6.13'], [true, true]);
    expect(vm.setOneReg(1, KVM_REG_ARM_PSCI_VERSION, 0x10000n).kind).toBe('ok');
    expect(vm.effectivePsci(0)).toBe('1.0');
  });

  it('a kernel without the register answers -ENOENT; an uninitialised vCPU -ENOEXEC', () => {
    const vm = new ArmVm(ARM_KERNELS['linux-4.15'], [true]);
    expect(vm.getOneReg(0, KVM_REG_ARM_PSCI_VERSION)).toMatchObject({ errno: 'ENOENT' });
    expect(vm.getOneReg(3, KVM_REG_ARM_PSCI_VERSION)).toMatchObject({ errno: 'ENOEXEC' });
  });
});
