/**
 * A VM's firmware pseudo-registers on one host, with KVM's GET/SET rules:
 * - PSCI_VERSION: only after VCPU_INIT; 0.1 only without KVM_ARM_VCPU_PSCI_0_2, 0.2 and up only
 *   with it, and only versions this kernel knows; per-vCPU view, VM-wide effect (last write wins).
 * - SMCCC_ARCH_WORKAROUND_*: GET returns the host's level; SET changes nothing and fails with
 *   -EINVAL when the incoming level is more than this host provides.
 * - Feature bitmaps: default to everything supported; unknown bits -EINVAL; a change after any
 *   vCPU has run -EBUSY; a register this kernel lacks -ENOENT.
 */
import {
  KVM_REG_ARM_PSCI_VERSION, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3,
  KVM_REG_ARM_STD_BMAP, KVM_REG_ARM_STD_HYP_BMAP, KVM_REG_ARM_VENDOR_HYP_BMAP,
  KVM_REG_FEATURE_LEVEL_MASK, WA2_AVAIL, WA2_ENABLED, WA2_NOT_AVAIL, WA2_NOT_REQUIRED, WA2_UNKNOWN,
  PSCI_VERSIONS, fwRegName, psciVersionFromWord, psciVersionWord, type OneRegOutcome, type PsciVersion,
} from './psci.ts';
import { describe, expectBoolean, rejectUnknownKeys, requireObject, requireOneOf } from '../../validate.ts';

/** What a host kernel offers. */
export interface ArmKernel {
  readonly name: string;
  /** KVM_ARM_PSCI_LATEST: what a PSCI_0_2 vCPU gets unless userspace writes a version. */
  readonly latestPsci: PsciVersion;
  readonly knownVersions: readonly PsciVersion[];
  /** Whether KVM_REG_ARM_PSCI_VERSION exists (Linux 4.17, stable 4.16). */
  readonly hasPsciVersionReg: boolean;
  /** Host mitigation level per workaround register; absent = register unknown to this kernel. */
  readonly workarounds: ReadonlyMap<bigint, bigint>;
  /** Supported bits per bitmap register; absent = register unknown to this kernel. */
  readonly bitmaps: ReadonlyMap<bigint, bigint>;
}

const WORKAROUNDS = new Map([
  [KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, 1n],
  [KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, WA2_NOT_REQUIRED],
  [KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3, 1n],
]);
const BITMAPS_5_19 = new Map([[KVM_REG_ARM_STD_BMAP, 0b1n], [KVM_REG_ARM_STD_HYP_BMAP, 0b1n], [KVM_REG_ARM_VENDOR_HYP_BMAP, 0b11n]]);

/** Kernels used by the host profiles. */
export const ARM_KERNELS = {
  /** Before the register: PSCI_0_2 vCPUs always see 0.2 and nothing can be saved or pinned. */
  'linux-4.15': { name: 'linux-4.15', latestPsci: '0.2', knownVersions: ['0.1', '0.2'], hasPsciVersionReg: false, workarounds: new Map(), bitmaps: new Map() },
  /** Register present, LATEST 1.1: rejects 1.3 with -EINVAL. */
  'linux-6.12': { name: 'linux-6.12', latestPsci: '1.1', knownVersions: ['0.1', '0.2', '1.0', '1.1'], hasPsciVersionReg: true, workarounds: WORKAROUNDS, bitmaps: BITMAPS_5_19 },
  /** LATEST 1.3 (commit 8be82d536a9f); otherwise the same registers as 6.12. */
  'linux-6.13': { name: 'linux-6.13', latestPsci: '1.3', knownVersions: ['0.1', '0.2', '1.0', '1.1', '1.2', '1.3'], hasPsciVersionReg: true, workarounds: WORKAROUNDS, bitmaps: BITMAPS_5_19 },
} as const satisfies Record<string, ArmKernel>;

/** A host: its kernel plus what its VMM pins before the guest runs. */
export interface ArmHostProfile {
  readonly name: string;
  readonly kernel: ArmKernel;
  /** The VMM writes this PSCI_VERSION at creation (e.g. QEMU kvm-psci-version). */
  readonly vmmPinPsci?: PsciVersion;
}

/** old: the previous kernel; new: default is newer; compat: new kernel whose VMM pins old's version. */
export const ARM_HOST_PROFILES = {
  'pre-register': { name: 'pre-register', kernel: ARM_KERNELS['linux-4.15'] },
  old: { name: 'old', kernel: ARM_KERNELS['linux-6.12'] },
  new: { name: 'new', kernel: ARM_KERNELS['linux-6.13'] },
  compat: { name: 'compat', kernel: ARM_KERNELS['linux-6.13'], vmmPinPsci: '1.1' },
} as const satisfies Record<string, ArmHostProfile>;
export type ArmHostName = keyof typeof ARM_HOST_PROFILES;

const KERNEL_KEYS = ['name', 'latestPsci', 'knownVersions', 'hasPsciVersionReg', 'workarounds', 'bitmaps'];

function registerMap(name: string, value: unknown): ReadonlyMap<bigint, bigint> {
  const fix = 'map register ids to values, both bigints';
  if (!(value instanceof Map)) throw new TypeError(`${name} must be a Map, got ${describe(value)}: ${fix}`);
  for (const [id, v] of value as Map<unknown, unknown>) {
    if (typeof id !== 'bigint' || typeof v !== 'bigint') throw new TypeError(`${name} must be a Map of bigints, got an entry ${describe(id)} -> ${describe(v)}: ${fix}`);
  }
  return value as ReadonlyMap<bigint, bigint>;
}

/** A kernel description, checked field by field: everything ArmVm reads later is known good. */
function checkKernel(kernel: unknown): ArmKernel {
  const k = requireObject('kernel', kernel);
  rejectUnknownKeys('kernel', k, KERNEL_KEYS);
  if (typeof k.name !== 'string') throw new TypeError(`kernel.name must be a string, got ${describe(k.name)}`);
  if (!Array.isArray(k.knownVersions)) throw new TypeError(`kernel.knownVersions must be an array of PSCI versions, got ${describe(k.knownVersions)}`);
  const knownVersions = Array.from(k.knownVersions as unknown[], (v, i) => requireOneOf(`kernel.knownVersions[${i}]`, v, PSCI_VERSIONS));
  return {
    name: k.name,
    latestPsci: requireOneOf('kernel.latestPsci', k.latestPsci, knownVersions),
    knownVersions,
    hasPsciVersionReg: expectBoolean('kernel.hasPsciVersionReg', k.hasPsciVersionReg),
    workarounds: registerMap('kernel.workarounds', k.workarounds),
    bitmaps: registerMap('kernel.bitmaps', k.bitmaps),
  };
}

/** One VM's firmware state on a host. */
export class ArmVm {
  readonly kernel: ArmKernel;
  readonly vcpuPsci02: readonly boolean[];
  #psciVersion: PsciVersion | undefined;
  readonly #bitmaps: Map<bigint, bigint>;
  #hasRun = false;

  /** Creates the VM and runs VCPU_INIT on every vCPU (`psci02` = KVM_ARM_VCPU_PSCI_0_2 requested). */
  constructor(kernel: ArmKernel, vcpuPsci02: readonly boolean[]) {
    if (!Array.isArray(vcpuPsci02)) throw new TypeError(`vcpuPsci02 must be an array of booleans, one per vCPU, got ${describe(vcpuPsci02)}`);
    if (vcpuPsci02.length === 0 || vcpuPsci02.length > 512) throw new RangeError(`vcpuPsci02 must be an array of 1 to 512 vCPUs, got ${vcpuPsci02.length} items`);
    this.vcpuPsci02 = Array.from(vcpuPsci02 as unknown[], (v, i) => expectBoolean(`vcpuPsci02[${i}]`, v));
    this.kernel = checkKernel(kernel);
    this.#bitmaps = new Map(this.kernel.bitmaps);
  }

  get hasRun(): boolean {
    return this.#hasRun;
  }

  /** KVM_RUN on any vCPU: freezes the bitmap registers. */
  run(): void {
    this.#hasRun = true;
  }

  /** What PSCI_VERSION returns to the guest on `vcpu`. */
  effectivePsci(vcpu: number): PsciVersion {
    if (!this.vcpuPsci02[vcpu]) return '0.1';
    if (this.#psciVersion && this.#psciVersion !== '0.1') return this.#psciVersion;
    return this.kernel.latestPsci;
  }

  /** KVM_GET_REG_LIST restricted to the firmware registers. */
  getRegList(): bigint[] {
    return [...(this.kernel.hasPsciVersionReg ? [KVM_REG_ARM_PSCI_VERSION] : []), ...this.kernel.workarounds.keys(), ...this.kernel.bitmaps.keys()];
  }

  #vcpuError(vcpu: number): OneRegOutcome | undefined {
    if (!Number.isSafeInteger(vcpu) || vcpu < 0 || vcpu >= this.vcpuPsci02.length) return { kind: 'error', errno: 'ENOEXEC', reason: `vCPU ${describe(vcpu)} was never initialized (VCPU_INIT)` };
    return undefined;
  }

  /** KVM_GET_ONE_REG. */
  getOneReg(vcpu: number, id: bigint): OneRegOutcome {
    const bad = this.#vcpuError(vcpu);
    if (bad) return bad;
    if (id === KVM_REG_ARM_PSCI_VERSION && this.kernel.hasPsciVersionReg) return { kind: 'ok', value: BigInt(psciVersionWord(this.effectivePsci(vcpu))) };
    const level = this.kernel.workarounds.get(id);
    if (level !== undefined) return { kind: 'ok', value: level };
    const bitmap = this.#bitmaps.get(id);
    if (bitmap !== undefined) return { kind: 'ok', value: bitmap };
    return { kind: 'error', errno: 'ENOENT', reason: `${this.kernel.name} has no register ${fwRegName(id)}` };
  }

  /** KVM_SET_ONE_REG. Nothing changes on an error. */
  setOneReg(vcpu: number, id: bigint, value: bigint): OneRegOutcome {
    const bad = this.#vcpuError(vcpu);
    if (bad) return bad;
    const einval = (reason: string): OneRegOutcome => ({ kind: 'error', errno: 'EINVAL', reason });
    if (id === KVM_REG_ARM_PSCI_VERSION && this.kernel.hasPsciVersionReg) {
      const version = psciVersionFromWord(value);
      if (!version || !this.kernel.knownVersions.includes(version)) return einval(`${this.kernel.name} does not know PSCI version word 0x${value.toString(16)}`);
      const wants02 = this.vcpuPsci02[vcpu]!;
      if ((version === '0.1') === wants02) return einval(`PSCI ${version} is ${wants02 ? 'not' : 'only'} valid for a vCPU with KVM_ARM_VCPU_PSCI_0_2`);
      this.#psciVersion = version;
      return { kind: 'ok', value };
    }
    const host = this.kernel.workarounds.get(id);
    if (host !== undefined) {
      let level = value & KVM_REG_FEATURE_LEVEL_MASK;
      if (id === KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2) {
        if ((value & ~(KVM_REG_FEATURE_LEVEL_MASK | WA2_ENABLED)) !== 0n) return einval('unknown bits in WORKAROUND_2');
        if ((value & WA2_ENABLED) !== 0n && level !== WA2_AVAIL) return einval('WORKAROUND_2 ENABLED is only valid with AVAIL');
        if (level > WA2_NOT_REQUIRED) return einval(`WORKAROUND_2 level ${level} is unknown`);
        // Current kernels offer only NOT_AVAIL or NOT_REQUIRED, so the incoming level is folded first.
        level = level === WA2_NOT_AVAIL || level === WA2_UNKNOWN ? WA2_NOT_AVAIL : WA2_NOT_REQUIRED;
      } else if (value !== level || level > 2n) {
        return einval(`${fwRegName(id)} value ${value} is not a level (0..2)`);
      }
      if (level > host) return einval(`${fwRegName(id)}: the guest was promised level ${level} but this host provides ${host}`);
      return { kind: 'ok', value: host };
    }
    const supported = this.kernel.bitmaps.get(id);
    if (supported !== undefined) {
      if ((value & ~supported) !== 0n) return einval(`${fwRegName(id)}: bits 0x${(value & ~supported).toString(16)} are not supported by ${this.kernel.name}`);
      if (this.#hasRun && value !== this.#bitmaps.get(id)) return { kind: 'error', errno: 'EBUSY', reason: `${fwRegName(id)} cannot change after a vCPU has run` };
      this.#bitmaps.set(id, value);
      return { kind: 'ok', value };
    }
    return { kind: 'error', errno: 'ENOENT', reason: `${this.kernel.name} has no register ${fwRegName(id)}` };
  }
}
