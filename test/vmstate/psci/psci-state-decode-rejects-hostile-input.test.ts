import { describe, expect, it } from 'vitest';
import { ARM_HOST_PROFILES, createArmVm, decodeFirmwareState, encodeFirmwareState, saveFirmware } from '../../../src/vmstate/index.ts';

describe('incoming firmware state', () => {
  it('round-trips through JSON', () => {
    const saved = saveFirmware(createArmVm(ARM_HOST_PROFILES.new));
    expect(decodeFirmwareState(JSON.parse(JSON.stringify(encodeFirmwareState(saved))))).toEqual(saved);
  });

  it.each([
    [{ regs: [{ id: '1', value: '2' }, { id: '1', value: '3' }] }, /appears twice/],
    [{ regs: Array.from({ length: 65 }, () => ({ id: '1', value: '1' })) }, /at most 64/],
    [{ regs: [{ id: 1, value: '2' }] }, /regs\[0\]\.id must be a u64/],
    [{ regs: [], extra: 1 }, /extra is not a known field/],
  ])('rejects %#', (input, message) => {
    expect(() => decodeFirmwareState(input)).toThrow(message);
  });
});
