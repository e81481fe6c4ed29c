import { describe, expect, it } from 'vitest';
import { ARM_HOST_PROFILES, ARM_KERNELS, ArmVm, KVM_REG_ARM_VENDOR_HYP_BMAP, KVM_REG_ARM_VENDOR_HYP_BMAP_2, createArmVm, restoreFirmware, saveFirmware } from '../../../src/vmstate/index.ts';

describe('firmware feature bitmaps (invariant 13)', () => {
  it('default to everything supported, accept a cleared bit before the first run, refuse unknown bits', () => {
    const vm = new ArmVm(ARM_KERNELS['linux-6.13'], [true]);
    expect(vm.getOneReg(0, KVM_REG_ARM_VENDOR_HYP_BMAP)).toEqual({ kind: 'ok', value: 0b11n });
    expect(vm.setOneReg(0, KVM_REG_ARM_VENDOR_HYP_BMAP, 0b01n).kind).toBe('ok');
    expect(vm.setOneReg(0, KVM_REG_ARM_VENDOR_HYP_BMAP, 0b100n)).toMatchObject({ errno: 'EINVAL' });
    expect(vm.setOneReg(0, KVM_REG_ARM_VENDOR_HYP_BMAP_2, 0n)).toMatchObject({ errno: 'ENOENT' });
  });

  it('a change after any vCPU has run fails with -EBUSY and changes nothing', () => {
    const vm = new ArmVm(ARM_KERNELS['linux-6.13'], [true]);
    vm.run();
    expect(vm.setOneReg(0, KVM_REG_ARM_VENDOR_HYP_BMAP, 0b01n)).toMatchObject({ errno: 'EBUSY' });
    expect(vm.getOneReg(0, KVM_REG_ARM_VENDOR_HYP_BMAP)).toEqual({ kind: 'ok', value: 0b11n });
  });

  it('unsafe: a destination that runs a vCPU before restoring the registers is refused', () => {
    const src = createArmVm(ARM_HOST_PROFILES.new);
    src.setOneReg(0, KVM_REG_ARM_VENDOR_HYP_BMAP, 0b01n);
    const saved = saveFirmware(src);
    expect(restoreFirmware(ARM_HOST_PROFILES.new, saved).kind).toBe('ok');
    expect(restoreFirmware(ARM_HOST_PROFILES.new, saved, { order: 'after-run' })).toMatchObject({ kind: 'refused', errno: 'EBUSY', reason: (expect.stringContaining('before the first KVM_RUN') as string) });
  });
});
