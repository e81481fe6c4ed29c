import { describe, expect, it } from 'vitest';
import { ARM_HOST_PROFILES, createArmVm, decodeFirmwareState, encodeFirmwareState, saveFirmware } from '../../../src/vmstate/index.ts';

describe('incoming firmware state', () => {
  it('round-trips through JSON', () => {
    const saved = saveFirmware(createArmVm(ARM_HOST_PROFILES.new));
    expect(decodeFirmwareState(JSON.parse(JSON.stringify(encodeFirmwareState(saved))))).toEqual(saved);
  });

  const psci = (0x6030_0000_0014_0000n).toString(); // KVM_REG_ARM_PSCI_VERSION
  it.each([
    [{ regs: [{ id: psci, value: '2' }, { id: psci, value: '3' }] }, RangeError, 'firmware state.regs[1].id must be a register not sent before, got KVM_REG_ARM_PSCI_VERSION again: send each register once'],
    [{ regs: Array.from({ length: 65 }, () => ({ id: psci, value: '1' })) }, RangeError, 'firmware state.regs must be an array of at most 64 items, got 65 items'],
    [{ regs: [{ id: 1, value: '2' }] }, TypeError, 'firmware state.regs[0].id must be a u64 as a decimal string such as "1234", got 1: JSON numbers are exact only up to 2^53'],
    [{ regs: [], extra: 1 }, TypeError, 'firmware state must be a record with only the fields regs, got "extra"'],
    [{ regs: [], reg: 1 }, TypeError, 'firmware state must be a record with only the fields regs, got "reg": did you mean regs?'],
  ])('rejects %#', (input, type, message) => {
    expect(() => decodeFirmwareState(input)).toThrow(expect.objectContaining({ constructor: type, message }));
  });
});
