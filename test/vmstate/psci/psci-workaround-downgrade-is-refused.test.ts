import { describe, expect, it } from 'vitest';
import {
  ARM_KERNELS, ArmVm, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3, WA2_AVAIL, WA2_ENABLED, WA2_NOT_AVAIL,
  WA2_NOT_REQUIRED, restoreFirmware, saveFirmware, type ArmHostProfile,
} from '../../../src/vmstate/index.ts';

const base = ARM_KERNELS['linux-6.13'];
const unmitigated: ArmHostProfile = {
  name: 'no-bhb',
  kernel: { ...base, name: 'linux-6.13 without Spectre-BHB', workarounds: new Map([...base.workarounds, [KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3, 0n]]) },
};

describe('SMCCC workaround levels (invariant 12)', () => {
  it('a destination that cannot provide the promised level refuses with -EINVAL and says what to do', () => {
    const saved = saveFirmware(new ArmVm(base, [true]));
    const out = restoreFirmware(unmitigated, saved);
    expect(out).toMatchObject({ kind: 'refused', errno: 'EINVAL' });
    if (out.kind === 'refused') expect(out.reason).toMatch(/WORKAROUND_3.*promised level 1.*provides 0.*pick a destination/);
  });

  it('unsafe: a VMM that ignores the error lets the promised mitigation vanish', () => {
    const saved = saveFirmware(new ArmVm(base, [true]));
    const promised = saved.regs.find((r) => r.id === KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3)!.value;
    const out = restoreFirmware(unmitigated, saved, { ignoreErrors: true });
    if (out.kind === 'refused') throw new Error('expected the unsafe VMM to carry on');
    const now = out.vm.getOneReg(0, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3);
    expect(now.kind === 'ok' && now.value < promised).toBe(true);
  });

  it('WORKAROUND_2 folds levels: NOT_AVAIL may land on NOT_REQUIRED, AVAIL|ENABLED may not land on NOT_AVAIL', () => {
    const good = new ArmVm(base, [true]);
    expect(good.setOneReg(0, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, WA2_NOT_AVAIL).kind).toBe('ok');
    expect(good.setOneReg(0, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, WA2_AVAIL | WA2_ENABLED).kind).toBe('ok');
    expect(good.setOneReg(0, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, WA2_NOT_REQUIRED | WA2_ENABLED)).toMatchObject({ errno: 'EINVAL' });
    const weak = new ArmVm({ ...base, workarounds: new Map([[KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, WA2_NOT_AVAIL]]) }, [true]);
    expect(weak.setOneReg(0, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, WA2_AVAIL)).toMatchObject({ errno: 'EINVAL' });
  });
});
