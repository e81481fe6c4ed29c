/**
 * Migrating the firmware registers, and the compatibility matrix of vm-state.md 3.4 for both
 * designs: the merged one (PSCI_VERSION is a register, carried as state) and the rejected one
 * (the version is a VCPU_INIT feature flag, i.e. configuration on each VMM's command line).
 * The rule checked throughout: a guest never has its firmware changed under it silently, and a
 * mitigation once promised never vanishes; when that cannot be kept the migration is refused.
 */
import { ARM_HOST_PROFILES, ArmVm, type ArmHostName, type ArmHostProfile } from './psci-vm.ts';
import { FW_REG_NAMES, KVM_REG_ARM_PSCI_VERSION, PSCI_VERSIONS, fwRegName, psciVersionWord, type KvmErrno, type PsciVersion } from './psci.ts';
import {
  describe, quote, expectArray, expectOnlyKeys, expectRecord, expectU64String, rejectUnknownKeys, requireBoolean, requireObject, requireOneOf,
} from '../../validate.ts';

/** The firmware part of the migration stream: what GET_REG_LIST + GET_ONE_REG returned on vCPU 0. */
export interface FirmwareState {
  readonly regs: readonly { readonly id: bigint; readonly value: bigint }[];
}

/** A host profile's own fields; its kernel is checked by ArmVm, which every entry point creates. */
function checkHost(name: string, value: unknown): ArmHostProfile {
  const h = requireObject(name, value);
  rejectUnknownKeys(name, h, ['name', 'kernel', 'vmmPinPsci']);
  if (typeof h.name !== 'string') throw new TypeError(`${name}.name must be a string, got ${describe(h.name)}`);
  if (h.vmmPinPsci !== undefined) requireOneOf(`${name}.vmmPinPsci`, h.vmmPinPsci, PSCI_VERSIONS);
  return value as ArmHostProfile;
}

/** Creates a VM as the host's VMM does: pinning its configured PSCI version before the guest runs. */
export function createArmVm(host: ArmHostProfile, vcpuPsci02: readonly boolean[] = [true, true]): ArmVm {
  checkHost('host', host);
  const vm = new ArmVm(host.kernel, vcpuPsci02);
  if (host.vmmPinPsci) {
    const pinned = vm.setOneReg(0, KVM_REG_ARM_PSCI_VERSION, BigInt(psciVersionWord(host.vmmPinPsci)));
    if (pinned.kind === 'error') throw new RangeError(`host.vmmPinPsci must be a version ${quote(host.kernel.name)} accepts, got ${quote(host.vmmPinPsci)}: ${pinned.reason}`);
  }
  return vm;
}

/** The source side: every firmware register the source kernel lists, read on vCPU 0. */
export function saveFirmware(vm: ArmVm): FirmwareState {
  return {
    regs: vm.getRegList().map((id) => {
      const r = vm.getOneReg(0, id);
      if (r.kind === 'error') throw new Error(`GET_ONE_REG(${fwRegName(id)}) failed on a listed register: ${r.reason}`);
      return { id, value: r.value };
    }),
  };
}

/** The outcome of a firmware restore. */
export type FirmwareRestoreOutcome =
  | { readonly kind: 'ok'; readonly psci: PsciVersion; readonly vm: ArmVm }
  | { readonly kind: 'upgraded'; readonly from: PsciVersion; readonly to: PsciVersion; readonly vm: ArmVm; readonly note: string }
  | { readonly kind: 'refused'; readonly errno: KvmErrno | 'VCPU_INIT'; readonly reason: string };

/** Options of {@link restoreFirmware}. */
export interface RestoreFirmwareOptions {
  /** The guest's PSCI version on the source, when known; lets the check see a pre-register "upgrade". */
  readonly sourcePsci?: PsciVersion;
  readonly vcpuPsci02?: readonly boolean[];
  /** 'after-run' runs a vCPU before writing the registers (the unsafe ordering). @default 'before-run' */
  readonly order?: 'before-run' | 'after-run';
  /** An unsafe VMM that carries on past SET_ONE_REG errors. @default false */
  readonly ignoreErrors?: boolean;
}

function advice(id: bigint, errno: KvmErrno, host: ArmHostProfile): string {
  if (id === KVM_REG_ARM_PSCI_VERSION) {
    return `pin a PSCI version both hosts know on the source (QEMU kvm-psci-version), or pick a destination whose kernel knows the guest's version (${host.kernel.name} knows ${host.kernel.knownVersions.join(', ')})`;
  }
  if (errno === 'EBUSY') return 'write firmware registers before the first KVM_RUN on the destination';
  if (errno === 'ENOENT') return `pick a destination whose kernel has ${fwRegName(id)}`;
  return 'pick a destination host that provides at least the mitigation level the guest was promised';
}

/** The destination side: create the VM on `host`, write every saved register, then compare. */
export function restoreFirmware(host: ArmHostProfile, saved: FirmwareState, options: RestoreFirmwareOptions = {}): FirmwareRestoreOutcome {
  const o = requireObject('options', options);
  rejectUnknownKeys('options', o, ['sourcePsci', 'vcpuPsci02', 'order', 'ignoreErrors']);
  const sourcePsci = o.sourcePsci === undefined ? undefined : requireOneOf('sourcePsci', o.sourcePsci, PSCI_VERSIONS);
  const order = requireOneOf('order', o.order, ['before-run', 'after-run'], 'before-run');
  const ignoreErrors = requireBoolean('ignoreErrors', o.ignoreErrors, false);
  const vm = createArmVm(host, (o.vcpuPsci02 ?? [true, true]) as readonly boolean[]);
  if (order === 'after-run') vm.run();
  for (const { id, value } of saved.regs) {
    const r = vm.setOneReg(0, id, value);
    if (r.kind === 'error' && !ignoreErrors) {
      return { kind: 'refused', errno: r.errno, reason: `${host.name} (${host.kernel.name}): SET_ONE_REG ${fwRegName(id)} = 0x${value.toString(16)} failed with -${r.errno}: ${r.reason}; ${advice(id, r.errno, host)}` };
    }
  }
  vm.run();
  const now = vm.effectivePsci(0);
  if (sourcePsci && sourcePsci !== now) {
    return {
      kind: 'upgraded', from: sourcePsci, to: now, vm,
      note: `nothing carried the version, so ${host.kernel.name} gave the guest its default ${now}; pin ${sourcePsci} on the destination to keep it`,
    };
  }
  return { kind: 'ok', psci: now, vm };
}

/** Migrates one VM from `src` to `dst` with the register design. */
export function migrateWithRegister(src: ArmHostProfile, dst: ArmHostProfile): FirmwareRestoreOutcome {
  checkHost('src', src);
  checkHost('dst', dst);
  const vm = createArmVm(src);
  vm.run();
  return restoreFirmware(dst, saveFirmware(vm), { sourcePsci: vm.effectivePsci(0) });
}

/** In the rejected design a VMM requests a version by VCPU_INIT flag; unflagged vCPUs keep 0.2 forever. */
const FEATURE_DESIGN_DEFAULT: PsciVersion = '0.2';

function featureFlagFor(host: ArmHostProfile): PsciVersion | undefined {
  // new asks for its newest version; compat (and old, which predates the flag) sets no flag.
  return host.name === 'new' ? host.kernel.latestPsci : undefined;
}

/**
 * Migrates with the rejected vCPU-feature design: the destination VMM is started with its own
 * command line (`dstFlag`, by default the same as the source's, as management tools do).
 */
export function migrateWithFeatureFlag(src: ArmHostProfile, dst: ArmHostProfile, dstFlag?: PsciVersion): FirmwareRestoreOutcome {
  // Both hosts (and their kernels) are checked by creating their VMs before any decision.
  createArmVm(checkHost('src', src));
  const dstVm = createArmVm(checkHost('dst', dst));
  if (dstFlag !== undefined) requireOneOf('dstFlag', dstFlag, PSCI_VERSIONS);
  dstFlag ??= featureFlagFor(src);
  const srcVersion = featureFlagFor(src) ?? FEATURE_DESIGN_DEFAULT;
  // Kernels that predate the design (old) know no flag at all.
  const dstKnowsFlag = (v: PsciVersion): boolean => dst.name !== 'old' && dst.name !== 'pre-register' && dst.kernel.knownVersions.includes(v);
  if (dstFlag && !dstKnowsFlag(dstFlag)) {
    return { kind: 'refused', errno: 'VCPU_INIT', reason: `${dst.name} (${dst.kernel.name}): VCPU_INIT fails on the unknown PSCI ${dstFlag} feature flag before any state moves; drop the flag on both command lines` };
  }
  const dstVersion = dstFlag ?? FEATURE_DESIGN_DEFAULT;
  if (dstVersion !== srcVersion) {
    return { kind: 'refused', errno: 'EINVAL', reason: `the guest booted with PSCI ${srcVersion} but the destination command line gives ${dstVersion}; start the destination with the source's PSCI flag` };
  }
  return { kind: 'ok', psci: dstVersion, vm: dstVm };
}

/** Rows of the matrix, as in the reference. */
export const PSCI_MATRIX_DIRECTIONS = [
  ['new', 'new'], ['old', 'new'], ['pre-register', 'new'], ['new', 'old'], ['new', 'pre-register'], ['compat', 'old'], ['old', 'compat'],
] as const satisfies readonly (readonly [ArmHostName, ArmHostName])[];

/** One cell, reduced to what a person needs. */
export interface MatrixCell {
  readonly kind: FirmwareRestoreOutcome['kind'];
  readonly detail: string;
}

function cell(o: FirmwareRestoreOutcome): MatrixCell {
  if (o.kind === 'ok') return { kind: 'ok', detail: `guest keeps PSCI ${o.psci}` };
  if (o.kind === 'upgraded') return { kind: 'upgraded', detail: `${o.from} -> ${o.to}: ${o.note}` };
  return { kind: 'refused', detail: o.reason };
}

/** Computes the compatibility matrix by running each migration on the model. */
export function psciCompatibilityMatrix(): { from: ArmHostName; to: ArmHostName; register: MatrixCell; vcpuFeature: MatrixCell }[] {
  return PSCI_MATRIX_DIRECTIONS.map(([from, to]) => ({
    from,
    to,
    register: cell(migrateWithRegister(ARM_HOST_PROFILES[from], ARM_HOST_PROFILES[to])),
    vcpuFeature: cell(migrateWithFeatureFlag(ARM_HOST_PROFILES[from], ARM_HOST_PROFILES[to])),
  }));
}

/** Stream form: ids and values as decimal strings. */
export function encodeFirmwareState(state: FirmwareState): { regs: { id: string; value: string }[] } {
  return { regs: state.regs.map((r) => ({ id: r.id.toString(), value: r.value.toString() })) };
}

/** Validates incoming firmware state (at most 64 firmware pseudo-registers, each once). */
export function decodeFirmwareState(json: unknown): FirmwareState {
  const root = expectRecord('firmware state', json);
  expectOnlyKeys('firmware state', root, ['regs']);
  const seen = new Set<bigint>();
  const regs = expectArray('firmware state.regs', root.regs, 64).map((item, i) => {
    const name = `firmware state.regs[${i}]`;
    const r = expectRecord(name, item);
    expectOnlyKeys(name, r, ['id', 'value']);
    const id = expectU64String(`${name}.id`, r.id);
    // A register no kernel has is a corrupt or foreign stream; one this destination lacks is its
    // kernel's answer (-ENOENT at restore), so only the first is refused here.
    if (!FW_REG_NAMES.has(id)) {
      throw new RangeError(`${name}.id must be a firmware pseudo-register (${[...FW_REG_NAMES.values()].join(', ')}), got 0x${id.toString(16)}`);
    }
    if (seen.has(id)) throw new RangeError(`${name}.id must be a register not sent before, got ${fwRegName(id)} again: send each register once`);
    seen.add(id);
    return { id, value: expectU64String(`${name}.value`, r.value) };
  });
  return { regs };
}
