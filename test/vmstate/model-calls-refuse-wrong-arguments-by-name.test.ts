import { expect, it } from 'vitest';
import {
  Host, KvmVm, SevVm, SuspendResumeProtocol, VmGenIdDevice, psciFunctionIds, psciVersionWord, restoreClock, runClockMigration, runSevScenario,
  saveClock, setTscKhz,
} from '../../src/vmstate/index.ts';
import { thrown } from './thrown.ts';

// A wrong argument is refused by the call itself, in the library's one message style, instead
// of being silently read as something else ('toString' as a lifecycle event, 'v1.3' as a PSCI
// version, a misspelt protocol as none) or failing later inside BigInt arithmetic.
const vm = (): KvmVm => KvmVm.create(new Host({ name: 'h', vendor: 'vmx', tscKhz: 3_000_000n, tscAtZero: 0n, realtimeAtZeroNs: 0n }), { vcpus: 1, tscKhz: 3_000_000n, t: 0n });
const EVENTS = 'pause-resume, guest-reboot, host-reboot, live-migration, cluster-failover, snapshot-start, backup-restore, dr-failover, import, copy, clone';

it.each([
  ['psciVersionWord', () => psciVersionWord('v1.3' as never), TypeError, 'version must be one of 0.1, 0.2, 1.0, 1.1, 1.2, 1.3, got "v1.3": did you mean 1.3?'],
  ['psciFunctionIds', () => psciFunctionIds('2.0' as never), TypeError, 'version must be one of 0.1, 0.2, 1.0, 1.1, 1.2, 1.3, got "2.0": did you mean 1.0?'],
  ['VmGenIdDevice#applyEvent', () => new VmGenIdDevice().applyEvent('toString' as never), TypeError, `event must be one of ${EVENTS}, got "toString"`],
  ['new VmGenIdDevice(id)', () => new VmGenIdDevice(new Uint8Array(15)), RangeError, 'id must be a Uint8Array of 16 bytes, got 15 bytes'],
  ['new VmGenIdDevice(id, random)', () => new VmGenIdDevice(undefined, 'x' as never), TypeError, 'random must be a function, got "x"'],
  ['VmGenIdDevice#save', () => new VmGenIdDevice().save(4097n), RangeError, 'guestPhysAddr must be 8-byte aligned, got 4097n: the VMGenID spec requires it'],
  ['runSevScenario', () => runSevScenario('1' as never, 'engine'), TypeError, 'scenario must be an integer, got "1"'],
  ['SevVm#guestMapGpaRange', () => new SevVm(4, 'engine').guestMapGpaRange(0x1000 as never, 1n, 0n), TypeError, 'gpa must be a bigint (e.g. 0n), got 4096'],
  ['SevVm#convert', () => new SevVm(4, 'engine').convert(0, 'privat' as never), TypeError, 'to must be one of private, shared, got "privat": did you mean private?'],
  ['SuspendResumeProtocol#step', () => new SuspendResumeProtocol().step('suspnd' as never), TypeError, 'action must be one of request-suspend, suspend, freeze, restore, resume, got "suspnd": did you mean suspend?'],
  ['KvmVm#readTsc', () => vm().readTsc('0' as never, 0n), TypeError, 'vcpu index must be an integer, got "0": this VM has 1 vCPUs'],
  ['restoreClock(dst)', () => restoreClock({} as never, saveClock(vm(), 0n), 0n, { purpose: 'live-migration' }), TypeError, 'dst must be a KvmVm, got an object'],
  ['runClockMigration({ protocol })', () => runClockMigration({ protocol: 'stop_machine' as never }), TypeError, 'protocol must be one of none, suspend-resume, stop-machine, got "stop_machine": did you mean stop-machine?'],
  ['runClockMigration({ formula })', () => runClockMigration({ formula: 'copy' as never }), TypeError, 'formula must be one of documented, unscaled-units, raw-host-tsc, copy-offsets, msr-per-vcpu, keep-host-rate, got "copy": did you mean copy-offsets?'],
  ['setTscKhz({ vendor })', () => setTscKhz({ userKhz: 1n, hostKhz: 1n, vendor: 'intel' as never }), TypeError, 'vendor must be one of vmx, svm, got "intel"'],
])('%s refuses a wrong argument by name', (_entry, call, type, message) => {
  const error = thrown(call);
  expect(error).toBeInstanceOf(type);
  expect(error!.message).toBe(message);
});
