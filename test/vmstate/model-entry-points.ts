/**
 * The models' public entry points that take an options object (or a spec record), each with a
 * valid one and a typo a person could make, so tests can attack every entry point alike.
 */
import {
  ARM_HOST_PROFILES, ARM_KERNELS, ArmVm, Host, KvmVm, SevVm, createArmVm, measureVmGenIdRace, migrateWithFeatureFlag, migrateWithRegister,
  restoreClock, restoreFirmware, runClockMigration, saveClock, saveFirmware, setTscKhz, type HostSpec,
} from '../../src/vmstate/index.ts';

type Options = Record<string, unknown>;

const spec: HostSpec = { name: 'h', vendor: 'vmx', tscKhz: 3_000_000n, tscAtZero: 5n, realtimeAtZeroNs: 9n };
const clockVm = (): KvmVm => KvmVm.create(new Host(spec), { vcpus: 1, tscKhz: 2_500_000n, t: 0n });
const firmware = () => saveFirmware(createArmVm(ARM_HOST_PROFILES.new));

export interface EntryPoint {
  /** The call, as a person would write it. */
  readonly entry: string;
  /** How messages name the object passed. */
  readonly name: string;
  readonly call: (options: object) => unknown;
  readonly valid: Options;
  /** A misspelt key and the key it should have been. */
  readonly typo: readonly [string, string];
}

export const ENTRY_POINTS: readonly EntryPoint[] = [
  { entry: 'setTscKhz(options)', name: 'options', call: (o) => setTscKhz(o as never), valid: { userKhz: 2_500_000n, hostKhz: 3_000_000n, vendor: 'vmx', hostCanScale: false }, typo: ['hostCanScal', 'hostCanScale'] },
  { entry: 'new Host(spec)', name: 'spec', call: (o) => new Host(o as never), valid: { ...spec }, typo: ['tscAtZer0', 'tscAtZero'] },
  { entry: 'KvmVm.create(host, options)', name: 'options', call: (o) => KvmVm.create(new Host(spec), o as never), valid: { vcpus: 2, tscKhz: 2_500_000n, t: 0n }, typo: ['vcpu', 'vcpus'] },
  {
    entry: 'restoreClock(dst, state, t, options)', name: 'options',
    call: (o) => restoreClock(clockVm(), saveClock(clockVm(), 1_000n), 2_000n, o as never),
    valid: { purpose: 'live-migration', formula: 'documented' }, typo: ['fomula', 'formula'],
  },
  { entry: 'runClockMigration(options)', name: 'options', call: (o) => runClockMigration(o), valid: { protocol: 'suspend-resume', rounds: 2 }, typo: ['protocl', 'protocol'] },
  { entry: 'runClockMigration({ src })', name: 'src', call: (o) => runClockMigration({ src: o as HostSpec, rounds: 2 }), valid: { ...spec, name: 'src' }, typo: ['realtimeAtZeroNS', 'realtimeAtZeroNs'] },
  { entry: 'measureVmGenIdRace(options)', name: 'options', call: (o) => measureVmGenIdRace(o as never), valid: { mode: 'pull', clones: 3 }, typo: ['clone', 'clones'] },
  { entry: 'new ArmVm(kernel, vcpus)', name: 'kernel', call: (o) => new ArmVm(o as never, [true]), valid: { ...ARM_KERNELS['linux-6.13'] }, typo: ['latestPcsi', 'latestPsci'] },
  { entry: 'createArmVm(host)', name: 'host', call: (o) => createArmVm(o as never), valid: { ...ARM_HOST_PROFILES.compat }, typo: ['vmmPinPcsi', 'vmmPinPsci'] },
  { entry: 'restoreFirmware(host, saved, options)', name: 'options', call: (o) => restoreFirmware(ARM_HOST_PROFILES.new, firmware(), o), valid: { order: 'before-run', ignoreErrors: false }, typo: ['ignoreError', 'ignoreErrors'] },
  { entry: 'migrateWithRegister(src, dst)', name: 'dst', call: (o) => migrateWithRegister(ARM_HOST_PROFILES.old, o as never), valid: { ...ARM_HOST_PROFILES.new }, typo: ['kernal', 'kernel'] },
  { entry: 'migrateWithFeatureFlag(src, dst)', name: 'src', call: (o) => migrateWithFeatureFlag(o as never, ARM_HOST_PROFILES.new), valid: { ...ARM_HOST_PROFILES.new }, typo: ['nme', 'name'] },
  { entry: 'SevVm#guestWrite(gfn, text, options)', name: 'options', call: (o) => new SevVm(1, 'engine').guestWrite(0, 'x', o), valid: { as: 'shared', replace: true }, typo: ['replce', 'replace'] },
];
