/**
 * A guest with several vCPU readers, migrated between two simulated hosts: run, pause, save,
 * transfer (through the JSON stream), restore, resume, run. Every reading is recorded in causal
 * order so invariants 1 to 7 of vm-state.md can be checked on what the guest actually saw.
 */
import { StopMachineRendezvous, SuspendResumeProtocol, type ClockProtocol } from './clock-protocols.ts';
import {
  OFFSET_FORMULAS, RESTORE_PURPOSES, decodeClockState, encodeClockState, restoreClock, saveClock, tscAtKvmclockZero,
  type OffsetFormula, type RestoreClockOutcome,
} from './clock-migration.ts';
import { GuestTimekeeper, tscClocksource } from './clocksource.ts';
import { Host, KvmVm, type HostSpec } from './kvmclock.ts';
import { nsToCycles, scaleTsc, TSC_SCALING } from './tsc.ts';
import { rejectUnknownKeys, requireBigInt, requireBoolean, requireInteger, requireObject, requireOneOf } from '../../validate.ts';

/** Options of {@link runClockMigration}; every field has a default. */
export interface ClockScenarioOptions {
  /** @default 4 */
  readonly vcpus?: number;
  /** Guest TSC rate requested on both sides. @default 2_500_000n */
  readonly guestKhz?: bigint;
  /** @default 3.0 GHz VMX host */
  readonly src?: HostSpec;
  /** @default 3.2 GHz VMX host whose TSC and realtime are unrelated to the source's */
  readonly dst?: HostSpec;
  /** @default 'live-migration' */
  readonly purpose?: 'live-migration' | 'snapshot-restore';
  /** Pause to resume, world time. @default 150_000_000n (150 ms) */
  readonly downtimeNs?: bigint;
  /** @default 'documented' */
  readonly formula?: OffsetFormula;
  /** @default 'none' */
  readonly protocol?: 'none' | 'suspend-resume' | 'stop-machine';
  /** @default 'enforce' */
  readonly checks?: 'enforce' | 'off';
  readonly passRealtime?: boolean;
  /** Reader rounds (1 ms apart, vCPU i reads i us into the round) before the pause and after the resume. @default 6 */
  readonly rounds?: number;
  /** How long the guest ran before the readers start; the guest TSC starts at 0 at VM creation. @default 600 s */
  readonly uptimeNs?: bigint;
}

/** One guest reading: vCPU `vcpu` read all three clocks at world time `t`. */
export interface ClockReading {
  readonly seq: number;
  readonly vcpu: number;
  readonly phase: 'before' | 'after';
  readonly t: bigint;
  readonly tsc: bigint;
  readonly kvmclockNs: bigint;
  /** CLOCK_MONOTONIC as the guest timekeeper (TSC clocksource) computes it. */
  readonly monotonicNs: bigint;
}

/** Whether one invariant held, with the evidence. */
export interface InvariantResult {
  readonly invariant: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  readonly holds: boolean;
  readonly detail: string;
}

/** What {@link runClockMigration} observed. */
export interface ClockScenarioReport {
  readonly restore: RestoreClockOutcome;
  readonly readings: readonly ClockReading[];
  readonly invariants: readonly InvariantResult[];
  /** Reader attempts refused by a protocol while the guest was parked or frozen. */
  readonly blockedGuestRuns: number;
}

const MS = 1_000_000n;
const DEFAULT_SRC: HostSpec = { name: 'src', vendor: 'vmx', tscKhz: 3_000_000n, tscAtZero: 7_000_000_000_000n, realtimeAtZeroNs: 1_700_000_000n * 1_000_000_000n };
const DEFAULT_DST: HostSpec = { name: 'dst', vendor: 'vmx', tscKhz: 3_200_000n, tscAtZero: 6_000_000_000_000n, realtimeAtZeroNs: 1_700_000_000n * 1_000_000_000n };
const QUANTITIES = ['tsc', 'kvmclockNs', 'monotonicNs'] as const;
const SCENARIO_KEYS = ['vcpus', 'guestKhz', 'src', 'dst', 'purpose', 'downtimeNs', 'formula', 'protocol', 'checks', 'passRealtime', 'rounds', 'uptimeNs'];
const PROTOCOLS = ['none', 'suspend-resume', 'stop-machine'] as const;

function firstDecrease(readings: readonly ClockReading[], sameVcpuOnly: boolean): string | undefined {
  for (const q of QUANTITIES) {
    const latest = new Map<number, ClockReading>();
    for (const r of readings) {
      const key = sameVcpuOnly ? r.vcpu : 0;
      const prev = latest.get(key);
      if (prev && r[q] < prev[q]) return `${q}: vCPU ${r.vcpu} read ${r[q]} (seq ${r.seq}) after vCPU ${prev.vcpu} read ${prev[q]} (seq ${prev.seq})`;
      if (!prev || r[q] >= prev[q]) latest.set(key, r);
    }
  }
  return undefined;
}

function measuredKhz(all: readonly ClockReading[]): bigint {
  const readings = all.filter((r) => r.vcpu === 0);
  const first = readings[0]!;
  const last = readings[readings.length - 1]!;
  return ((last.tsc - first.tsc) * MS) / (last.kvmclockNs - first.kvmclockNs);
}

/** Runs one migration and checks invariants 1 to 7 on what the readers saw. */
export function runClockMigration(options: ClockScenarioOptions = {}): ClockScenarioReport {
  // Every option is checked before anything runs.
  const o = requireObject('options', options);
  rejectUnknownKeys('options', o, SCENARIO_KEYS);
  const vcpus = requireInteger('vcpus', o.vcpus ?? 4, 1, 1024);
  const guestKhz = requireBigInt('guestKhz', o.guestKhz ?? 2_500_000n, 1n, 0xffff_ffffn);
  const downtimeNs = requireBigInt('downtimeNs', o.downtimeNs ?? 150n * MS, 0n, 10n ** 15n);
  const uptimeNs = requireBigInt('uptimeNs', o.uptimeNs ?? 600_000n * MS, 0n, 10n ** 15n);
  const rounds = requireInteger('rounds', o.rounds ?? 6, 2, 1000);
  const src = new Host((o.src ?? DEFAULT_SRC) as HostSpec, 'src');
  const dst = new Host((o.dst ?? DEFAULT_DST) as HostSpec, 'dst');
  const purpose = requireOneOf('purpose', o.purpose, RESTORE_PURPOSES, 'live-migration');
  const formula = requireOneOf('formula', o.formula, OFFSET_FORMULAS, 'documented');
  const checks = requireOneOf('checks', o.checks, ['enforce', 'off'], 'enforce');
  const passRealtime = o.passRealtime === undefined ? undefined : requireBoolean('passRealtime', o.passRealtime, false);
  const protocolName = requireOneOf('protocol', o.protocol, PROTOCOLS, 'none');
  const protocol: ClockProtocol | undefined =
    protocolName === 'suspend-resume' ? new SuspendResumeProtocol() : protocolName === 'stop-machine' ? new StopMachineRendezvous() : undefined;

  let t = 1_000n * MS;
  let vm = KvmVm.create(src, { vcpus, tscKhz: guestKhz, t });
  t += uptimeNs;
  const timekeeper = new GuestTimekeeper(tscClocksource(guestKhz), vm.readTsc(0, t));
  let kvmclockAtBase = vm.kvmclock(t);
  const readings: ClockReading[] = [];
  let blockedGuestRuns = 0;
  const tick = (): void => {
    timekeeper.tick(vm.readTsc(0, t));
    kvmclockAtBase = vm.kvmclock(t);
  };
  const runReaders = (phase: ClockReading['phase']): void => {
    for (let round = 0; round < rounds; round++) {
      t += MS;
      // Readers first: after a gap the first reads see whatever delta the timekeeper computes.
      for (let i = 0; i < vcpus; i++) {
        const at = t + BigInt(i) * 1_000n;
        const tsc = vm.readTsc(i, at);
        readings.push({ seq: readings.length, vcpu: i, phase, t: at, tsc, kvmclockNs: vm.kvmclock(at), monotonicNs: timekeeper.read(tsc) });
      }
      t += BigInt(vcpus) * 1_000n;
      tick();
    }
  };
  const attemptGuestRun = (): void => {
    if (protocol?.runGuestCode().kind === 'refused') blockedGuestRuns++;
  };

  runReaders('before');
  t += MS;
  if (protocol instanceof SuspendResumeProtocol) {
    protocol.step('request-suspend');
    protocol.step('suspend');
    tick(); // timekeeping_suspend: the last update before the gap
    attemptGuestRun();
    protocol.step('freeze');
  } else if (protocol instanceof StopMachineRendezvous) {
    for (const step of ['inject-quiesce-ipi', 'queue-work', 'park-nested', 'enter-rendezvous', 'report-parked'] as const) protocol.step(step);
    tick(); // update_guest_clocksource runs inside the rendezvous, before parking
    attemptGuestRun();
    protocol.step('freeze');
  }
  const tPause = t;
  const srcK = vm.vcpus.map((v) => tscAtKvmclockZero(v.offset, scaleTsc(src.tsc(tPause), v.scaling), vm.kvmclock(tPause), guestKhz));
  const tscAtPause = vm.readTsc(0, tPause);
  const kvmAtPause = vm.kvmclock(tPause);
  // Transfer goes through the stream encoding, as a real migration would.
  const state = decodeClockState(JSON.parse(JSON.stringify(encodeClockState(saveClock(vm, tPause)))));

  t = tPause + downtimeNs;
  const before = readings.slice();
  const dstVm = KvmVm.create(dst, { vcpus, tscKhz: formula === 'keep-host-rate' ? dst.spec.tscKhz : guestKhz, t });
  const restore = restoreClock(dstVm, state, t, { purpose, formula, checks, ...(protocol ? { protocol } : {}), ...(passRealtime === undefined ? {} : { passRealtime }) });
  if (restore.kind === 'refused') {
    return { restore, readings: before, invariants: checkInvariants(before, [], undefined), blockedGuestRuns };
  }
  vm = dstVm;
  const dstK = dstVm.vcpus.map((v) => tscAtKvmclockZero(v.offset, scaleTsc(dst.tsc(t), v.scaling), dstVm.kvmclock(t), guestKhz));
  if (protocol instanceof SuspendResumeProtocol) {
    protocol.step('restore');
    attemptGuestRun();
    protocol.step('resume');
    timekeeper.rebase(vm.readTsc(0, t), vm.kvmclock(t) - kvmclockAtBase);
  } else if (protocol instanceof StopMachineRendezvous) {
    protocol.installAndGo(vm.kvmclock(t));
    attemptGuestRun();
    protocol.step('resync');
    timekeeper.rebase(vm.readTsc(0, t), protocol.hyperpage.kvmclockNs! - kvmclockAtBase);
    protocol.step('resume');
  }
  const tscAfter = vm.readTsc(0, t);
  const kvmAfter = vm.kvmclock(t);
  runReaders('after');

  const expectedCycles = nsToCycles(kvmAfter, guestKhz) - nsToCycles(kvmAtPause, guestKhz);
  const tscAdvance = BigInt.asIntN(64, tscAfter - tscAtPause);
  const fracBits = TSC_SCALING[dst.spec.vendor].fracBits;
  const tolerance = (dst.tsc(t) >> fracBits) + (src.tsc(tPause) >> fracBits) + 2n;
  const migration = { srcK, dstK, tscAdvance, expectedCycles, tolerance, restore, state, protocolUsed: protocol !== undefined };
  return { restore, readings, invariants: checkInvariants(before, readings.slice(before.length), migration), blockedGuestRuns };
}

interface MigrationEvidence {
  readonly srcK: readonly bigint[];
  readonly dstK: readonly bigint[];
  readonly tscAdvance: bigint;
  readonly expectedCycles: bigint;
  readonly tolerance: bigint;
  readonly restore: Extract<RestoreClockOutcome, { kind: 'restored' }>;
  readonly state: { readonly tscKhz: bigint; readonly clock: { readonly clock: bigint } };
  readonly protocolUsed: boolean;
}

function checkInvariants(before: readonly ClockReading[], after: readonly ClockReading[], m: MigrationEvidence | undefined): InvariantResult[] {
  const all = [...before, ...after];
  const perVcpu = firstDecrease(all, true);
  const causal = firstDecrease(all, false);
  const results: InvariantResult[] = [
    { invariant: 1, holds: !perVcpu, detail: perVcpu ?? 'every vCPU read non-decreasing TSC, kvmclock and monotonic values' },
    { invariant: 2, holds: !causal, detail: causal ?? 'every reading was >= every reading taken before it on any vCPU' },
  ];
  if (!m) return results;
  const kDiff = m.srcK.findIndex((k, i) => k !== m.dstK[i]);
  results.push({
    invariant: 3,
    holds: kDiff < 0,
    detail: kDiff < 0 ? `guest TSC at kvmclock 0 is ${m.srcK[0]} on both hosts` : `vCPU ${kDiff}: ${m.srcK[kDiff]} before, ${m.dstK[kDiff]} after`,
  });
  const error = m.tscAdvance - m.expectedCycles;
  results.push({
    invariant: 4,
    holds: (error < 0n ? -error : error) <= m.tolerance,
    detail: `guest TSC advanced ${m.tscAdvance} cycles for ${m.expectedCycles} expected from kvmclock (tolerance ${m.tolerance})`,
  });
  const gapFlag = m.restore.flags.find((f) => f.kind === 'realtime-gap-on-snapshot');
  const backwards = m.restore.clock < m.state.clock.clock;
  results.push({
    invariant: 5,
    holds: !backwards && !gapFlag,
    detail: backwards ? 'kvmclock moved backwards' : gapFlag ? `flagged: ${gapFlag.advice} (${gapFlag.addedNs} ns)` : `kvmclock moved forward ${m.restore.forwardJumpNs} ns`,
  });
  const maxIdle = tscClocksource(m.state.tscKhz).maxIdleNs;
  const unsafeJump = m.restore.forwardJumpNs > maxIdle && !m.protocolUsed;
  results.push({
    invariant: 6,
    holds: !unsafeJump,
    detail: unsafeJump ? `jump of ${m.restore.forwardJumpNs} ns beyond max_idle_ns ${maxIdle} without a safe protocol` : `jump ${m.restore.forwardJumpNs} ns (max_idle_ns ${maxIdle}${m.protocolUsed ? ', protocol used' : ''})`,
  });
  const khzBefore = measuredKhz(before);
  const khzAfter = measuredKhz(after);
  const rateMismatch = m.restore.flags.find((f) => f.kind === 'tsc-rate-hidden-mismatch');
  const drift = khzAfter > khzBefore ? khzAfter - khzBefore : khzBefore - khzAfter;
  results.push({
    invariant: 7,
    holds: drift <= 1n && !rateMismatch,
    detail: `guest measured ${khzBefore} kHz before and ${khzAfter} kHz after${rateMismatch ? ` (KVM reports ${rateMismatch.requestedKhz} kHz but runs ${rateMismatch.effectiveKhz} kHz)` : ''}`,
  });
  return results;
}
