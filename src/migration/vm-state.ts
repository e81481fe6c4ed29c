/**
 * The VM state a migration carries besides pages, from the models of src/vmstate: the guest
 * TSC and kvmclock, VMGenID, Arm PSCI firmware registers, and (optionally) AMD SEV page
 * status. The source saves it; the destination decodes it with each model's hardened decoder,
 * checks it, and restores it. A state the destination cannot take is `refused` (the guest is
 * discarded there and goes on running on the source); a state that an unsafe option let through
 * wrongly is `broken` (the guest runs on the destination with what went wrong named).
 *
 * Time: the clock models take world time in ns; here it is the wall clock (CLOCK_REALTIME),
 * which both hosts read, so the kvmclock carried forward by KVM_CLOCK_REALTIME is the real
 * downtime.
 */
import {
  ARM_HOST_PROFILES, PSCI_VERSIONS, KvmVm, Host, StopMachineRendezvous, VmGenIdDevice, createArmVm, decodeClockState, decodeFirmwareState, decodeVmGenIdState,
  encodeClockState, encodeFirmwareState, nsToCycles, restoreClock, restoreFirmware, saveClock, saveFirmware, scaleTsc,
  type ArmHostName, type ArmVm, type HostSpec, type PsciVersion,
} from '../vmstate/index.ts';
import { expectBoolean, expectOnlyKeys, expectRecord, requireOneOf } from '../validate.ts';
import { SevGuest, decodeSevRecord, type SevOptions, type SevRecord } from './sev-guest.ts';

/** A model whose unsafe variant a migration can run, to show what goes wrong. */
export type UnsafeModel = 'clock' | 'vmgenid' | 'psci' | 'sev';
export const UNSAFE_MODELS: readonly UnsafeModel[] = ['clock', 'vmgenid', 'psci', 'sev'];
export const PSCI_HOSTS = Object.keys(ARM_HOST_PROFILES) as ArmHostName[];
export const CLOCK_PROTOCOLS = ['none', 'stop-machine'] as const;

/** What each unsafe option does, for help texts and reports. */
export const UNSAFE_WHAT: Readonly<Record<UnsafeModel, string>> = {
  clock: "the destination computes TSC offsets with the documentation's literal formula (ns times kHz: 10^6 too much) and does not check the jump",
  vmgenid: 'the source treats the live migration as a clone and writes a new VMGenID into the guest',
  psci: 'the destination VMM carries on past a refused KVM_SET_ONE_REG of the firmware registers',
  sev: "the source reads page types before it harvests dirty bits (the unmerged list design), a conversion does not re-dirty its page, and a pending MAP_GPA_RANGE exit is saved uncompleted",
};

const MS = 1_000_000n;
const SRC_HOST: HostSpec = { name: 'source', vendor: 'vmx', tscKhz: 3_000_000n, tscAtZero: 7_000_000_000_000n, realtimeAtZeroNs: 0n };
const DST_HOST: HostSpec = { name: 'destination', vendor: 'vmx', tscKhz: 3_200_000n, tscAtZero: 6_000_000_000_000n, realtimeAtZeroNs: 0n };
/** The guest's TSC rate on both hosts (KVM_SET_TSC_KHZ). */
const GUEST_KHZ = 2_500_000n;
/** Where the VMGenID buffer sits in guest physical memory (8-byte aligned, as the spec asks). */
const VMGENID_GPA = 0xfedf_0000n;

/** World time: the wall clock in ns. */
export const worldNow = (): bigint => BigInt(Date.now()) * MS;

export interface SourceStateOptions {
  /** The source host's kernel for the PSCI registers. @default 'new' */
  readonly psciHost?: ArmHostName;
  /** Model an SEV guest whose pages convert during the migration. */
  readonly sev?: SevOptions;
  /** Freeze the guest's timekeeping with the stop_machine rendezvous before the pause (allows a forward jump past max_idle_ns). @default 'none' */
  readonly clockProtocol?: (typeof CLOCK_PROTOCOLS)[number];
  readonly unsafe?: readonly UnsafeModel[];
}

export interface DestinationStateOptions {
  /** The destination host's kernel for the PSCI registers. @default 'new' */
  readonly psciHost?: ArmHostName;
  /** How far this host's CLOCK_REALTIME runs ahead of the source's, in ms (hosts not in sync). @default 0 */
  readonly clockSkewMs?: number;
}

/** One model's outcome at the destination. */
export interface StateOutcome {
  readonly model: 'clock' | 'vmgenid' | 'psci' | 'sev' | 'vcpus';
  readonly kind: 'ok' | 'refused' | 'broken';
  readonly detail: string;
}

/** What SETUP carries of the state: enough for the destination to refuse before any page. */
export interface SetupState {
  readonly firmware: unknown;
  readonly psci: PsciVersion;
  readonly vmgenid: unknown;
  readonly sev: boolean;
  /** Unsafe: the destination VMM carries on past a refused KVM_SET_ONE_REG. */
  readonly ignoreFirmwareErrors: boolean;
}

/** The source's models of the running guest. */
export class SourceState {
  readonly clockVm: KvmVm;
  readonly vmgenid = new VmGenIdDevice();
  readonly arm: ArmVm;
  readonly sev: SevGuest | undefined;
  readonly unsafe: ReadonlySet<UnsafeModel>;
  readonly clockProtocol: (typeof CLOCK_PROTOCOLS)[number];

  constructor(o: SourceStateOptions, vcpus: number, pages: number) {
    const psciHost = requireOneOf('state.psciHost', o.psciHost, PSCI_HOSTS, 'new');
    this.unsafe = new Set((o.unsafe ?? []).map((u, i) => requireOneOf(`state.unsafe[${i}]`, u, UNSAFE_MODELS)));
    this.clockProtocol = requireOneOf('state.clockProtocol', o.clockProtocol, CLOCK_PROTOCOLS, 'none');
    this.clockVm = KvmVm.create(new Host(SRC_HOST), { vcpus, tscKhz: GUEST_KHZ, t: worldNow() });
    this.arm = createArmVm(ARM_HOST_PROFILES[psciHost], Array.from({ length: Math.min(vcpus, 512) }, () => true));
    this.arm.run();
    this.sev = o.sev ? new SevGuest(pages, o.sev, this.unsafe.has('sev') ? 'naive' : 'engine') : undefined;
  }

  /** Why the migration may not start (before any page is sent), or undefined. */
  refusal(): string | undefined {
    return this.sev?.startRefusal();
  }

  setup(): SetupState {
    return {
      firmware: encodeFirmwareState(saveFirmware(this.arm)), psci: this.arm.effectivePsci(0), vmgenid: this.vmgenid.save(VMGENID_GPA), sev: this.sev !== undefined,
      ignoreFirmwareErrors: this.unsafe.has('psci'),
    };
  }

  /** The state at stop-and-copy (vCPUs paused, at world time `t`). */
  save(t: bigint): Record<string, unknown> {
    this.vmgenid.stop();
    // Unsafe: a clone event on a live migration gives the guest a new ID.
    if (this.unsafe.has('vmgenid')) this.vmgenid.applyEvent('clone');
    const sev = this.sev?.save(this.unsafe.has('sev'));
    return {
      clock: encodeClockState(saveClock(this.clockVm, t)),
      clockProtocol: this.clockProtocol,
      clockFormula: this.unsafe.has('clock') ? 'unscaled-units' : 'documented',
      vmgenid: this.vmgenid.save(VMGENID_GPA),
      firmware: encodeFirmwareState(saveFirmware(this.arm)),
      psci: this.arm.effectivePsci(0),
      ignoreFirmwareErrors: this.unsafe.has('psci'),
      ...(sev ? { sev } : {}),
    };
  }
}

/** The destination's side: checks SETUP, then decodes and restores the state. */
export class DestinationState {
  readonly #psciHost: ArmHostName;
  readonly #skewNs: bigint;
  #setupId: string | undefined;

  constructor(o: DestinationStateOptions) {
    this.#psciHost = requireOneOf('state.psciHost', o.psciHost, PSCI_HOSTS, 'new');
    const skew = o.clockSkewMs ?? 0;
    if (!Number.isInteger(skew) || Math.abs(skew) > 86_400_000) throw new RangeError(`state.clockSkewMs must be a whole number of ms within a day, got ${skew}`);
    this.#skewNs = BigInt(skew) * MS;
  }

  /** SETUP: refuse now, before any page, when the firmware cannot be restored here. */
  checkSetup(value: unknown): { kind: 'ok' } | { kind: 'refused'; reason: string } {
    const s = expectRecord('setup.state', value);
    expectOnlyKeys('setup.state', s, ['firmware', 'psci', 'vmgenid', 'sev', 'ignoreFirmwareErrors']);
    const firmware = decodeFirmwareState(s.firmware);
    const psci = requireOneOf('setup.state.psci', s.psci, PSCI_VERSIONS);
    this.#setupId = Buffer.from(decodeVmGenIdState(s.vmgenid).id).toString('hex');
    const ignoreErrors = expectBoolean('setup.state.ignoreFirmwareErrors', s.ignoreFirmwareErrors);
    const out = restoreFirmware(ARM_HOST_PROFILES[this.#psciHost], firmware, { sourcePsci: psci, ignoreErrors });
    if (out.kind === 'refused') return { kind: 'refused', reason: `PSCI firmware registers: ${out.reason}` };
    return { kind: 'ok' };
  }

  /** STATE: every model decoded and checked; returns one outcome per model. */
  restore(value: unknown, received: { sharedAtLastCopy: (page: number) => boolean | undefined }): { outcomes: StateOutcome[]; sevMismatches: number[] } {
    const s = expectRecord('state', value);
    expectOnlyKeys('state', s, ['clock', 'clockProtocol', 'clockFormula', 'vmgenid', 'firmware', 'psci', 'ignoreFirmwareErrors', 'sev']);
    const outcomes: StateOutcome[] = [this.#clock(s), this.#vmgenid(s), this.#firmware(s)];
    let sevMismatches: number[] = [];
    if (s.sev !== undefined) {
      const sev = this.#sev(decodeSevRecord(s.sev), received);
      outcomes.push(sev.outcome);
      sevMismatches = sev.mismatches;
    }
    return { outcomes, sevMismatches };
  }

  #clock(s: Record<string, unknown>): StateOutcome {
    const state = decodeClockState(s.clock);
    const protocolName = requireOneOf('state.clockProtocol', s.clockProtocol, CLOCK_PROTOCOLS);
    const formula = requireOneOf('state.clockFormula', s.clockFormula, ['documented', 'unscaled-units'] as const);
    const unsafe = formula !== 'documented';
    const t = worldNow();
    const host = new Host({ ...DST_HOST, realtimeAtZeroNs: this.#skewNs < 0n ? 0n : this.#skewNs });
    const dst = KvmVm.create(host, { vcpus: state.vcpus.length, tscKhz: state.tscKhz, t });
    let protocol: StopMachineRendezvous | undefined;
    if (protocolName === 'stop-machine') {
      protocol = new StopMachineRendezvous();
      for (const step of ['inject-quiesce-ipi', 'queue-work', 'park-nested', 'enter-rendezvous', 'report-parked', 'freeze'] as const) protocol.step(step);
    }
    const out = restoreClock(dst, state, t, { purpose: 'live-migration', formula, checks: unsafe ? 'off' : 'enforce', ...(protocol ? { protocol } : {}) });
    if (out.kind === 'refused') return { model: 'clock', kind: 'refused', detail: `TSC/kvmclock: ${out.reason}` };
    if (protocol) {
      protocol.installAndGo(out.clock);
      protocol.step('resync');
      protocol.step('resume');
    }
    const jumpMs = Number(out.forwardJumpNs / MS);
    // Invariant 4: the guest TSC advances by the kvmclock advance times the guest rate.
    const src0 = state.vcpus[0]!;
    const before = src0.tscOffset + src0.scaledHostTsc;
    const after = dst.vcpus[0]!.offset + scaleTsc(host.tsc(t), dst.vcpus[0]!.scaling);
    const advance = BigInt.asIntN(64, BigInt.asUintN(64, after - before));
    const expected = nsToCycles(out.clock, state.tscKhz) - nsToCycles(state.clock.clock, state.tscKhz);
    const off = advance - expected < 0n ? expected - advance : advance - expected;
    if (off > 1000n) {
      return { model: 'clock', kind: 'broken', detail: `TSC/kvmclock (unsafe: ${formula} formula, unchecked): the guest TSC moved ${advance} cycles where kvmclock moved ${expected} (${Number(off / (state.tscKhz * 1000n))} s of TSC time too many): the guest's clocksource would overflow past max_idle_ns` };
    }
    return { model: 'clock', kind: 'ok', detail: `TSC/kvmclock restored with the documented formula: the guest clock moved forward ${jumpMs} ms${protocol ? ' inside the stop_machine rendezvous' : ''}` };
  }

  #vmgenid(s: Record<string, unknown>): StateOutcome {
    const id = Buffer.from(decodeVmGenIdState(s.vmgenid).id).toString('hex');
    if (this.#setupId !== undefined && id !== this.#setupId) {
      return { model: 'vmgenid', kind: 'refused', detail: `VMGenID changed during a live migration (${this.#setupId.slice(0, 8)}… to ${id.slice(0, 8)}…): the guest would take it for a VM fork, reseed its RNG and drop its WireGuard keys; a live migration keeps the ID` };
    }
    return { model: 'vmgenid', kind: 'ok', detail: `VMGenID unchanged (${id.slice(0, 8)}…), as a live migration requires` };
  }

  #firmware(s: Record<string, unknown>): StateOutcome {
    const firmware = decodeFirmwareState(s.firmware);
    const psci = requireOneOf('state.psci', s.psci, PSCI_VERSIONS);
    const ignoreErrors = s.ignoreFirmwareErrors === true;
    const out = restoreFirmware(ARM_HOST_PROFILES[this.#psciHost], firmware, { sourcePsci: psci, ignoreErrors });
    if (out.kind === 'refused') return { model: 'psci', kind: 'refused', detail: out.reason };
    if (out.kind === 'upgraded' || (out.kind === 'ok' && out.psci !== psci)) {
      const now = out.kind === 'upgraded' ? out.to : out.psci;
      return { model: 'psci', kind: 'broken', detail: `PSCI firmware (unsafe: errors ignored): the guest booted with PSCI ${psci} and now sees ${now}: its firmware changed under it` };
    }
    return { model: 'psci', kind: 'ok', detail: `PSCI ${out.psci} and the SMCCC workaround levels restored on ${this.#psciHost}` };
  }

  #sev(rec: SevRecord, received: { sharedAtLastCopy: (page: number) => boolean | undefined }): { outcome: StateOutcome; mismatches: number[] } {
    if (rec.pendingExit) {
      return { outcome: { model: 'sev', kind: 'broken', detail: 'SEV: vCPU state was saved with a KVM_EXIT_HYPERCALL (MAP_GPA_RANGE) pending: the guest re-executes the hypercall on the destination' }, mismatches: [] };
    }
    const shared = new Uint8Array(rec.state.pages);
    for (const [a, b] of rec.state.shared) shared.fill(1, a, b);
    const mismatches: number[] = [];
    for (let p = 0; p < rec.state.pages; p++) {
      const got = received.sharedAtLastCopy(p);
      if (got !== undefined && got !== (shared[p] === 1)) mismatches.push(p);
    }
    if (mismatches.length) {
      const first = mismatches[0]!;
      return { outcome: { model: 'sev', kind: 'broken', detail: `SEV: ${mismatches.length} page${mismatches.length > 1 ? 's' : ''} arrived with a stale type (page ${first} was last sent ${shared[first] ? 'private' : 'shared'} but the guest has it ${shared[first] ? 'shared' : 'private'}): its contents would be garbled` }, mismatches };
    }
    return { outcome: { model: 'sev', kind: 'ok', detail: `SEV: every page's last copy was sent with its current type (${rec.state.shared.length} shared range${rec.state.shared.length === 1 ? '' : 's'}), migration-ready, no exit pending` }, mismatches };
  }
}
