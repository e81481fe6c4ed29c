/**
 * Every record the migration-state decoders read, as a table: each row builds a valid stream
 * input with one record (or array) replaced, so a test can attack every position of every
 * decoder with the same hostile value.
 */
import {
  ARM_HOST_PROFILES, Host, KvmVm, SevVm, VmGenIdDevice, createArmVm, decodeClockState, decodeFirmwareState, decodeSevState,
  decodeVmGenIdState, encodeClockState, encodeFirmwareState, saveClock, saveFirmware,
} from '../../src/vmstate/index.ts';

type Json = Record<string, unknown>;
type Swap = (value: Json) => unknown;
type SwapList = (value: unknown[]) => unknown;

function clockState(): Json {
  const host = new Host({ name: 'h', vendor: 'vmx', tscKhz: 3_000_000n, tscAtZero: 5n, realtimeAtZeroNs: 9n });
  const vm = KvmVm.create(host, { vcpus: 2, tscKhz: 2_000_000n, t: 0n });
  return JSON.parse(JSON.stringify(encodeClockState(saveClock(vm, 1_000_000n)))) as Json;
}

function vmgenidState(): Json {
  return JSON.parse(JSON.stringify(new VmGenIdDevice().save(0x1000n))) as Json;
}

function firmwareState(): Json {
  return JSON.parse(JSON.stringify(encodeFirmwareState(saveFirmware(createArmVm(ARM_HOST_PROFILES.new))))) as Json;
}

function sevState(): Json {
  const vm = new SevVm(8, 'engine');
  vm.convert(2, 'shared');
  vm.kvmRun();
  return JSON.parse(JSON.stringify(vm.saveState())) as Json;
}

/** The decoders, each with a valid input. */
export const DECODERS = [
  { name: 'clock state', decode: decodeClockState, valid: clockState },
  { name: 'vmgenid state', decode: decodeVmGenIdState, valid: vmgenidState },
  { name: 'firmware state', decode: decodeFirmwareState, valid: firmwareState },
  { name: 'sev state', decode: decodeSevState, valid: sevState },
] as const;

/** Every record (JSON object) a decoder reads, named as its messages name it. */
export const RECORDS: readonly { name: string; decode: (json: unknown) => unknown; input: (swap: Swap) => unknown }[] = [
  { name: 'clock state', decode: decodeClockState, input: (swap) => swap(clockState()) },
  { name: 'clock state.clock', decode: decodeClockState, input: (swap) => ({ ...clockState(), clock: swap(clockState().clock as Json) }) },
  { name: 'clock state.vcpus[1]', decode: decodeClockState, input: (swap) => { const s = clockState(); const v = s.vcpus as Json[]; return { ...s, vcpus: [v[0], swap(v[1]!)] }; } },
  { name: 'vmgenid state', decode: decodeVmGenIdState, input: (swap) => swap(vmgenidState()) },
  { name: 'firmware state', decode: decodeFirmwareState, input: (swap) => swap(firmwareState()) },
  { name: 'firmware state.regs[0]', decode: decodeFirmwareState, input: (swap) => { const s = firmwareState(); const r = s.regs as Json[]; return { ...s, regs: [swap(r[0]!), ...r.slice(1)] }; } },
  { name: 'sev state', decode: decodeSevState, input: (swap) => swap(sevState()) },
];

/** Every array a decoder reads. */
export const ARRAYS: readonly { name: string; decode: (json: unknown) => unknown; input: (swap: SwapList) => unknown }[] = [
  { name: 'clock state.vcpus', decode: decodeClockState, input: (swap) => { const s = clockState(); return { ...s, vcpus: swap(s.vcpus as unknown[]) }; } },
  { name: 'firmware state.regs', decode: decodeFirmwareState, input: (swap) => { const s = firmwareState(); return { ...s, regs: swap(s.regs as unknown[]) }; } },
  { name: 'sev state.shared', decode: decodeSevState, input: (swap) => { const s = sevState(); return { ...s, shared: swap(s.shared as unknown[]) }; } },
  { name: 'sev state.shared[0]', decode: decodeSevState, input: (swap) => { const s = sevState(); return { ...s, shared: [swap((s.shared as unknown[][])[0]!)] }; } },
];
