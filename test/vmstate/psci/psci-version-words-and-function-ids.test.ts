import { describe, expect, it } from 'vitest';
import { KVM_REG_ARM_PSCI_VERSION, KVM_REG_ARM_STD_BMAP, psciFunctionIds, psciVersionWord } from '../../../src/vmstate/index.ts';

describe('PSCI identifiers', () => {
  it('encodes version words as major << 16 | minor', () => {
    expect(['0.1', '0.2', '1.0', '1.1', '1.3'].map((v) => psciVersionWord(v as '0.1'))).toEqual([0x1, 0x2, 0x10000, 0x10001, 0x10003]);
  });

  it('uses the uapi register ids', () => {
    expect(KVM_REG_ARM_PSCI_VERSION).toBe(0x6030_0000_0014_0000n);
    expect(KVM_REG_ARM_STD_BMAP).toBe(0x6030_0000_0016_0000n);
  });

  it('lists function ids per version: VERSION, FEATURES and SYSTEM_OFF2', () => {
    const v13 = new Map(psciFunctionIds('1.3').map((f) => [f.name, f]));
    expect(v13.get('PSCI_VERSION')?.smc32).toBe(0x8400_0000);
    expect(v13.get('PSCI_FEATURES')?.smc32).toBe(0x8400_000a);
    expect(v13.get('SYSTEM_OFF2')?.smc32).toBe(0x8400_0015);
    expect(psciFunctionIds('0.2').some((f) => f.name === 'PSCI_FEATURES')).toBe(false);
    expect(psciFunctionIds('0.1')).toEqual([]);
  });
});
