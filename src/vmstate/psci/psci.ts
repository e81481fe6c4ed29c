/**
 * Arm PSCI versions and KVM's firmware pseudo-registers (arch/arm64/kvm/hypercalls.c,
 * include/kvm/arm_psci.h, Documentation/virt/kvm/arm/fw-pseudo-registers.rst). KVM errors are
 * values: `{ kind: 'error', errno }`, as an ioctl's negative return would be.
 */
import { describe, requireOneOf } from '../../validate.ts';

/** PSCI versions KVM can expose. */
export const PSCI_VERSIONS = ['0.1', '0.2', '1.0', '1.1', '1.2', '1.3'] as const;
export type PsciVersion = (typeof PSCI_VERSIONS)[number];

/** PSCI_VERSION's return word: major in [30:16], minor in [15:0] (1.3 = 0x10003). */
export function psciVersionWord(version: PsciVersion): number {
  requireOneOf('version', version, PSCI_VERSIONS);
  const [major, minor] = version.split('.').map(Number) as [number, number];
  return (major << 16) | minor;
}

/** The version a word names, or undefined for a word no known version has. */
export function psciVersionFromWord(word: bigint): PsciVersion | undefined {
  if (typeof word !== 'bigint') throw new TypeError(`word must be a bigint (e.g. 0x10003n), got ${describe(word)}`);
  return PSCI_VERSIONS.find((v) => BigInt(psciVersionWord(v)) === word);
}

function versionAtLeast(a: PsciVersion, b: PsciVersion): boolean {
  return psciVersionWord(a) >= psciVersionWord(b);
}

export const PSCI_FN_BASE_SMC32 = 0x8400_0000;
export const PSCI_FN_BASE_SMC64 = 0xc400_0000;

/** Standard function numbers (n) with the version that added them and their calling conventions. */
export const PSCI_FUNCTIONS: readonly { name: string; n: number; since: PsciVersion; conv: 'smc32' | 'smc64' | 'both' }[] = [
  { name: 'PSCI_VERSION', n: 0, since: '0.2', conv: 'smc32' },
  { name: 'CPU_SUSPEND', n: 1, since: '0.2', conv: 'both' },
  { name: 'CPU_OFF', n: 2, since: '0.2', conv: 'smc32' },
  { name: 'CPU_ON', n: 3, since: '0.2', conv: 'both' },
  { name: 'AFFINITY_INFO', n: 4, since: '0.2', conv: 'both' },
  { name: 'MIGRATE', n: 5, since: '0.2', conv: 'both' },
  { name: 'MIGRATE_INFO_TYPE', n: 6, since: '0.2', conv: 'smc32' },
  { name: 'MIGRATE_INFO_UP_CPU', n: 7, since: '0.2', conv: 'both' },
  { name: 'SYSTEM_OFF', n: 8, since: '0.2', conv: 'smc32' },
  { name: 'SYSTEM_RESET', n: 9, since: '0.2', conv: 'smc32' },
  { name: 'PSCI_FEATURES', n: 10, since: '1.0', conv: 'smc32' },
  { name: 'CPU_FREEZE', n: 11, since: '1.0', conv: 'smc32' },
  { name: 'CPU_DEFAULT_SUSPEND', n: 12, since: '1.0', conv: 'both' },
  { name: 'NODE_HW_STATE', n: 13, since: '1.0', conv: 'both' },
  { name: 'SYSTEM_SUSPEND', n: 14, since: '1.0', conv: 'both' },
  { name: 'SET_SUSPEND_MODE', n: 15, since: '1.0', conv: 'smc32' },
  { name: 'STAT_RESIDENCY', n: 16, since: '1.0', conv: 'both' },
  { name: 'STAT_COUNT', n: 17, since: '1.0', conv: 'both' },
  { name: 'SYSTEM_RESET2', n: 18, since: '1.1', conv: 'both' },
  { name: 'MEM_PROTECT', n: 19, since: '1.1', conv: 'smc32' },
  { name: 'MEM_PROTECT_CHECK_RANGE', n: 20, since: '1.1', conv: 'both' },
  { name: 'SYSTEM_OFF2', n: 21, since: '1.3', conv: 'both' },
  { name: 'CLEAN_INV_MEMREGION', n: 22, since: '1.3', conv: 'smc64' },
  { name: 'CLEAN_INV_MEMREGION_ATTRIBUTES', n: 23, since: '1.3', conv: 'smc32' },
];

/** The function IDs a guest may call at `version`. 0.1 has none: its numbers come from the device tree. */
export function psciFunctionIds(version: PsciVersion): { name: string; smc32?: number; smc64?: number }[] {
  if (requireOneOf('version', version, PSCI_VERSIONS) === '0.1') return [];
  return PSCI_FUNCTIONS.filter((f) => versionAtLeast(version, f.since)).map((f) => ({
    name: f.name,
    ...(f.conv !== 'smc64' ? { smc32: PSCI_FN_BASE_SMC32 + f.n } : {}),
    ...(f.conv !== 'smc32' ? { smc64: PSCI_FN_BASE_SMC64 + f.n } : {}),
  }));
}

/** PSCI return codes (1.3 adds TIMEOUT, RATE_LIMITED, BUSY). */
export const PSCI_RET = {
  SUCCESS: 0, NOT_SUPPORTED: -1, INVALID_PARAMS: -2, DENIED: -3, ALREADY_ON: -4, ON_PENDING: -5,
  INTERNAL_FAILURE: -6, NOT_PRESENT: -7, DISABLED: -8, INVALID_ADDRESS: -9, TIMEOUT: -10, RATE_LIMITED: -11, BUSY: -12,
} as const;

const KVM_REG_ARM64 = 0x6000_0000_0000_0000n;
const KVM_REG_SIZE_U64 = 0x0030_0000_0000_0000n;
/** Coprocessor class of the firmware registers. */
export const KVM_REG_ARM_FW = 0x14n;
/** Coprocessor class of the firmware feature bitmaps. */
export const KVM_REG_ARM_FW_FEAT_BMAP = 0x16n;
function fwReg(cls: bigint, index: bigint): bigint {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | (cls << 16n) | index;
}

export const KVM_REG_ARM_PSCI_VERSION = fwReg(KVM_REG_ARM_FW, 0n);
export const KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1 = fwReg(KVM_REG_ARM_FW, 1n);
export const KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2 = fwReg(KVM_REG_ARM_FW, 2n);
export const KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3 = fwReg(KVM_REG_ARM_FW, 3n);
export const KVM_REG_ARM_STD_BMAP = fwReg(KVM_REG_ARM_FW_FEAT_BMAP, 0n);
export const KVM_REG_ARM_STD_HYP_BMAP = fwReg(KVM_REG_ARM_FW_FEAT_BMAP, 1n);
export const KVM_REG_ARM_VENDOR_HYP_BMAP = fwReg(KVM_REG_ARM_FW_FEAT_BMAP, 2n);
export const KVM_REG_ARM_VENDOR_HYP_BMAP_2 = fwReg(KVM_REG_ARM_FW_FEAT_BMAP, 3n);

/** Names for messages. */
export const FW_REG_NAMES: ReadonlyMap<bigint, string> = new Map([
  [KVM_REG_ARM_PSCI_VERSION, 'KVM_REG_ARM_PSCI_VERSION'],
  [KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, 'KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1'],
  [KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, 'KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2'],
  [KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3, 'KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3'],
  [KVM_REG_ARM_STD_BMAP, 'KVM_REG_ARM_STD_BMAP'],
  [KVM_REG_ARM_STD_HYP_BMAP, 'KVM_REG_ARM_STD_HYP_BMAP'],
  [KVM_REG_ARM_VENDOR_HYP_BMAP, 'KVM_REG_ARM_VENDOR_HYP_BMAP'],
  [KVM_REG_ARM_VENDOR_HYP_BMAP_2, 'KVM_REG_ARM_VENDOR_HYP_BMAP_2'],
]);

/** Names a register id for a message. */
export function fwRegName(id: bigint): string {
  return FW_REG_NAMES.get(id) ?? `0x${id.toString(16)}`;
}

/** WORKAROUND_1/3 levels: 0 NOT_AVAIL, 1 AVAIL, 2 NOT_REQUIRED. WORKAROUND_2: 0 NOT_AVAIL, 1 UNKNOWN, 2 AVAIL, 3 NOT_REQUIRED. */
export const KVM_REG_FEATURE_LEVEL_MASK = 0xfn;
export const WA2_NOT_AVAIL = 0n;
export const WA2_UNKNOWN = 1n;
export const WA2_AVAIL = 2n;
export const WA2_NOT_REQUIRED = 3n;
/** WORKAROUND_2 bit 4: enabled (only meaningful with AVAIL). */
export const WA2_ENABLED = 0x10n;

/** A KVM ioctl failure. */
export type KvmErrno = 'EINVAL' | 'ENOENT' | 'EBUSY' | 'ENOEXEC';
/** The result of KVM_GET_ONE_REG / KVM_SET_ONE_REG. */
export type OneRegOutcome = { readonly kind: 'ok'; readonly value: bigint } | { readonly kind: 'error'; readonly errno: KvmErrno; readonly reason: string };
