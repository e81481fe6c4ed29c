import { expect, it } from 'vitest';
import { ARM_HOST_PROFILES, FW_REG_NAMES, KVM_REG_ARM_VENDOR_HYP_BMAP_2, decodeFirmwareState, restoreFirmware } from '../../src/vmstate/index.ts';
import { thrown } from './thrown.ts';

// A firmware stream carries only KVM's firmware pseudo-registers (class 0x14 KVM_REG_ARM_FW and
// class 0x16 KVM_REG_ARM_FW_FEAT_BMAP, index 0 to 3). Any other id is refused at decode, naming
// the field and the registers allowed; a known register the destination kernel lacks is left to
// that kernel (-ENOENT at restore), as KVM would answer.
const allowed = [...FW_REG_NAMES.values()].join(', ');

it.each([
  ['KVM_REG_ARM_FW index 4', 0x6030_0000_0014_0004n],
  ['KVM_REG_ARM_FW_FEAT_BMAP index 4', 0x6030_0000_0016_0004n],
  ['a core register (class 0x10)', 0x6030_0000_0010_0000n],
  ['PSCI_VERSION with a 32-bit size field', 0x6020_0000_0014_0000n],
  ['zero', 0n],
  ['all ones', (1n << 64n) - 1n],
])('refuses %s at decode', (_what, id) => {
  const error = thrown(() => decodeFirmwareState({ regs: [{ id: id.toString(), value: '0' }] }));
  expect(error).toBeInstanceOf(RangeError);
  expect(error!.message).toBe(`firmware state.regs[0].id must be a firmware pseudo-register (${allowed}), got 0x${id.toString(16)}`);
});

it('accepts every firmware pseudo-register, including one the destination lacks', () => {
  const regs = [...FW_REG_NAMES.keys()].map((id) => ({ id: id.toString(), value: '0' }));
  expect(decodeFirmwareState({ regs }).regs.map((r) => r.id)).toEqual([...FW_REG_NAMES.keys()]);
  const saved = decodeFirmwareState({ regs: [{ id: KVM_REG_ARM_VENDOR_HYP_BMAP_2.toString(), value: '0' }] });
  expect(restoreFirmware(ARM_HOST_PROFILES.new, saved)).toMatchObject({ kind: 'refused', errno: 'ENOENT' });
});
