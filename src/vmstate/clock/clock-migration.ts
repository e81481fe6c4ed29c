/**
 * The documented TSC/kvmclock save/restore algorithm (Documentation/virt/kvm/devices/vcpu.rst)
 * with the two corrections a model needs: cycles per ns = kHz / 10^6, and scaled host TSCs on
 * each side. Per vCPU:
 *
 *     ofs_dst = ofs_src - (cyc(guest_src) - cyc(guest_dst)) + (scale_src(tsc_src) - scale_dst(tsc_dst))
 *
 * where cyc(ns) = ns * kHz / 10^6 in 128-bit math. Differencing cyc() of each side (rather than
 * converting the difference) keeps the per-VM constant `ofs + scaled_tsc - cyc(kvmclock)` bit
 * exact; the two differ by at most one cycle.
 *
 * The unsafe formulas are kept, selectable, so tests can show which invariant each one breaks.
 */
import { StopMachineRendezvous, SuspendResumeProtocol, type ClockProtocol } from './clock-protocols.ts';
import { kvmClockClocksource, tscClocksource } from './clocksource.ts';
import { KVM_CLOCK_REALTIME, KVM_CLOCK_VALID_FLAGS, KvmVm, type KvmClockData } from './kvmclock.ts';
import { nsToCycles, scaleTsc, setTscKhz, type TscScaling } from './tsc.ts';
import { U64_MAX, u64 } from '../u64.ts';
import {
  describe, expectArray, expectOnlyKeys, expectRecord, expectU64String, rejectUnknownKeys, requireBigInt, requireBoolean, requireInteger,
  requireObject, requireOneOf,
} from '../../validate.ts';

/** What the source sends for the clock (VM paused), steps 1 to 3. */
export interface ClockMigrationState {
  readonly tscKhz: bigint;
  readonly clock: KvmClockData;
  readonly vcpus: readonly { readonly tscOffset: bigint; readonly scaledHostTsc: bigint }[];
}

/** How the destination computes offsets. Only 'documented' is correct. */
export type OffsetFormula =
  | 'documented'
  /** The document's literal `(guest_src - guest_dst) * freq` with freq in kHz: 10^6 too large. */
  | 'unscaled-units'
  /** Raw KVM_CLOCK_HOST_TSC values instead of each side's scaled TSC. */
  | 'raw-host-tsc'
  /** Copies the source offsets: ignores downtime and the hosts' different counters. */
  | 'copy-offsets'
  /** Legacy per-vCPU IA32_TSC writes, one after another, without KVM's matching heuristic. */
  | 'msr-per-vcpu'
  /** Skips KVM_SET_TSC_KHZ on the destination: the guest runs at the destination host rate. */
  | 'keep-host-rate';

/** Every formula, for validation and the CLI. */
export const OFFSET_FORMULAS: readonly OffsetFormula[] = ['documented', 'unscaled-units', 'raw-host-tsc', 'copy-offsets', 'msr-per-vcpu', 'keep-host-rate'];
/** Why the clock is restored: it decides whether KVM_CLOCK_REALTIME is passed back by default. */
export const RESTORE_PURPOSES: readonly RestoreClockOptions['purpose'][] = ['live-migration', 'snapshot-restore'];
const RESTORE_KEYS = ['purpose', 'passRealtime', 'formula', 'protocol', 'checks', 'msrWriteGapNs'];

/** Options of {@link restoreClock}. */
export interface RestoreClockOptions {
  /** Live migration (hosts' CLOCK_REALTIME synchronized) or restore of an old snapshot. */
  readonly purpose: 'live-migration' | 'snapshot-restore';
  /** Pass KVM_CLOCK_REALTIME back to SET_CLOCK. @default true for live migration, false for snapshots */
  readonly passRealtime?: boolean;
  /** @default 'documented' */
  readonly formula?: OffsetFormula;
  /** A safe protocol in FROZEN state: allows a forward jump beyond max_idle_ns. */
  readonly protocol?: ClockProtocol;
  /** 'off' models a VMM that does not check (to show what breaks). @default 'enforce' */
  readonly checks?: 'enforce' | 'off';
  /** Time between the legacy per-vCPU TSC writes of 'msr-per-vcpu'. @default 50_000n (50 us) */
  readonly msrWriteGapNs?: bigint;
}

/** Something the restore did that a person should know about. */
export type ClockFlag =
  | { readonly kind: 'realtime-gap-on-snapshot'; readonly addedNs: bigint; readonly advice: string }
  | { readonly kind: 'tsc-rate-hidden-mismatch'; readonly requestedKhz: bigint; readonly effectiveKhz: bigint };

/** The outcome of {@link restoreClock}. */
export type RestoreClockOutcome =
  | { readonly kind: 'refused'; readonly reason: string; readonly forwardJumpNs: bigint }
  | {
      readonly kind: 'restored';
      readonly clock: bigint;
      readonly offsets: readonly bigint[];
      /** Guest TSC cycles added to vCPU 0 for the downtime (the documented correction term). */
      readonly addedCycles: bigint;
      readonly forwardJumpNs: bigint;
      readonly flags: readonly ClockFlag[];
    };

/** Steps 1 to 3 on the paused source: GET_CLOCK, every vCPU offset (with its scaled host TSC), the rate. */
export function saveClock(vm: KvmVm, t: bigint): ClockMigrationState {
  const clock = vm.getClock(t);
  const vcpus = vm.vcpus.map((v) => ({ tscOffset: v.offset, scaledHostTsc: scaleTsc(clock.hostTsc, v.scaling) }));
  return { tscKhz: vm.vcpus[0]!.scaling.virtualTscKhz, clock, vcpus };
}

/** The per-VM constant of invariant 3: guest TSC at which kvmclock would read 0. */
export function tscAtKvmclockZero(tscOffset: bigint, scaledHostTsc: bigint, kvmclockNs: bigint, tscKhz: bigint): bigint {
  return u64(tscOffset + scaledHostTsc - nsToCycles(kvmclockNs, tscKhz));
}

function plannedOffsets(state: ClockMigrationState, scaling: TscScaling, guestDst: bigint, hostTscDst: bigint, formula: OffsetFormula): bigint[] {
  const khz = state.tscKhz;
  const gs = state.clock.clock;
  const downtimeCycles = nsToCycles(guestDst, khz) - nsToCycles(gs, khz);
  return state.vcpus.map((src) => {
    switch (formula) {
      case 'copy-offsets':
        return src.tscOffset;
      case 'unscaled-units':
        return u64(src.tscOffset + (guestDst - gs) * khz + (src.scaledHostTsc - scaleTsc(hostTscDst, scaling)));
      case 'raw-host-tsc':
        return u64(src.tscOffset + downtimeCycles + (state.clock.hostTsc - hostTscDst));
      default:
        return u64(src.tscOffset + downtimeCycles + (src.scaledHostTsc - scaleTsc(hostTscDst, scaling)));
    }
  });
}

function cyclesToNs(cycles: bigint, khz: bigint): bigint {
  return (cycles * 1_000_000n) / khz;
}

/**
 * Steps 4 to 7 on the destination at world time `t`. Everything is computed and checked first;
 * on 'refused' the destination VM is untouched.
 */
export function restoreClock(dst: KvmVm, state: ClockMigrationState, t: bigint, options: RestoreClockOptions): RestoreClockOutcome {
  if (!(dst instanceof KvmVm)) throw new TypeError(`dst must be a KvmVm, got ${describe(dst)}`);
  requireBigInt('t', t, 0n, U64_MAX);
  const o = requireObject('options', options);
  rejectUnknownKeys('options', o, RESTORE_KEYS);
  const purpose = requireOneOf('purpose', o.purpose, RESTORE_PURPOSES);
  const formula = requireOneOf('formula', o.formula, OFFSET_FORMULAS, 'documented');
  const checks = requireOneOf('checks', o.checks, ['enforce', 'off'], 'enforce');
  const passRealtime = requireBoolean('passRealtime', o.passRealtime, purpose === 'live-migration');
  const gapNs = requireBigInt('msrWriteGapNs', o.msrWriteGapNs ?? 50_000n, 0n, 10n ** 12n);
  const protocol = o.protocol;
  if (protocol !== undefined && !(protocol instanceof SuspendResumeProtocol) && !(protocol instanceof StopMachineRendezvous)) {
    throw new TypeError(`protocol must be a SuspendResumeProtocol or a StopMachineRendezvous, got ${describe(protocol)}`);
  }
  if (state.vcpus.length !== dst.vcpus.length) {
    throw new RangeError(`state.vcpus must be as many as the destination VM's ${dst.vcpus.length}, got ${state.vcpus.length}: create the destination with the same count`);
  }
  const refuse = (reason: string, forwardJumpNs = 0n): RestoreClockOutcome => ({ kind: 'refused', reason, forwardJumpNs });
  const { vendor, tscKhz: hostKhz } = dst.host.spec;
  const rate = formula === 'keep-host-rate' ? undefined : setTscKhz({ userKhz: state.tscKhz, hostKhz, vendor });
  if (rate?.kind === 'error') return refuse(`KVM_SET_TSC_KHZ(${state.tscKhz}) on host ${dst.host.spec.name}: ${rate.reason}`);
  const scaling = rate ? rate.scaling : dst.vcpus[0]!.scaling;

  const setData: KvmClockData = { ...state.clock, flags: passRealtime ? state.clock.flags | KVM_CLOCK_REALTIME : state.clock.flags & ~KVM_CLOCK_REALTIME };
  const preview = dst.previewSetClock(setData, t);
  if (preview.kind === 'error') return refuse(`KVM_SET_CLOCK: ${preview.errno} (${preview.reason})`);
  const hostTscDst = dst.host.tsc(t);
  const offsets = plannedOffsets(state, scaling, preview.clock, hostTscDst, formula);

  // The guest's timekeeper reads deltas of kvmclock or of the TSC across the gap: check both.
  const kvmclockJumpNs = preview.clock - state.clock.clock;
  let forwardJumpNs = kvmclockJumpNs;
  for (const [i, src] of state.vcpus.entries()) {
    const before = u64(src.tscOffset + src.scaledHostTsc);
    const jump = BigInt.asIntN(64, u64(offsets[i]! + scaleTsc(hostTscDst, scaling)) - before);
    if (checks === 'enforce' && jump < 0n) return refuse(`vCPU ${i}'s TSC would go backwards by ${-jump} cycles; use the documented offset formula`);
    const jumpNs = cyclesToNs(jump < 0n ? 0n : jump, state.tscKhz);
    if (jumpNs > forwardJumpNs) forwardJumpNs = jumpNs;
  }
  const maxIdleNs = [tscClocksource(state.tscKhz).maxIdleNs, kvmClockClocksource().maxIdleNs].reduce((a, b) => (a < b ? a : b));
  if (checks === 'enforce' && forwardJumpNs > maxIdleNs && protocol?.isFrozen() !== true) {
    const snapshotHint = purpose === 'snapshot-restore' && passRealtime ? ' and clear KVM_CLOCK_REALTIME for a snapshot restore' : '';
    return refuse(`the guest clock would jump ${forwardJumpNs} ns, beyond max_idle_ns ${maxIdleNs}; suspend the guest or use the stop_machine rendezvous first${snapshotHint}`, forwardJumpNs);
  }

  // Commit: rate (before offsets: the ratio defines the scaled TSC), step 4 SET_CLOCK, step 7 offsets.
  if (rate) dst.vcpus.forEach((_, i) => dst.setTscKhz(i, state.tscKhz));
  dst.setClock(setData, t);
  offsets.forEach((offset, i) => {
    if (formula !== 'msr-per-vcpu') return dst.setTscOffset(i, offset);
    // Each write lands later than the previous one but carries the value computed for time t.
    dst.writeTscMsr(i, u64(offset + scaleTsc(hostTscDst, scaling)), t + BigInt(i) * gapNs);
  });

  const flags: ClockFlag[] = [];
  if (purpose === 'snapshot-restore' && preview.realtimeGapNs > 0n) {
    flags.push({
      kind: 'realtime-gap-on-snapshot',
      addedNs: preview.realtimeGapNs,
      advice: 'KVM_CLOCK_REALTIME was passed back on a snapshot restore and added the whole wall-clock gap; clear the flag when restoring snapshots',
    });
  }
  // Ratio truncation (<1 kHz) is expected; a host rate the guest did not ask for is not.
  const unscaled = !rate || (rate.kind === 'identity' && rate.why === 'within-tolerance');
  if (unscaled && scaling.effectiveKhz !== state.tscKhz) flags.push({ kind: 'tsc-rate-hidden-mismatch', requestedKhz: state.tscKhz, effectiveKhz: scaling.effectiveKhz });
  const addedCycles = nsToCycles(preview.clock, state.tscKhz) - nsToCycles(state.clock.clock, state.tscKhz);
  return { kind: 'restored', clock: preview.clock, offsets: dst.vcpus.map((v) => v.offset), addedCycles, forwardJumpNs, flags };
}

/** The migration-stream form of {@link ClockMigrationState}: u64 values as decimal strings. */
export function encodeClockState(state: ClockMigrationState): Record<string, unknown> {
  return {
    tscKhz: state.tscKhz.toString(),
    clock: { clock: state.clock.clock.toString(), flags: state.clock.flags, realtime: state.clock.realtime.toString(), hostTsc: state.clock.hostTsc.toString() },
    vcpus: state.vcpus.map((v) => ({ tscOffset: v.tscOffset.toString(), scaledHostTsc: v.scaledHostTsc.toString() })),
  };
}

/** KVM_GET_CLOCK flags as the stream carries them: a bit KVM_SET_CLOCK would refuse is refused here, by name. */
function decodeClockFlags(name: string, value: unknown): number {
  const flags = requireInteger(name, value, 0, 0xffff_ffff);
  const unknown = (flags & ~KVM_CLOCK_VALID_FLAGS) >>> 0;
  if (unknown !== 0) {
    throw new RangeError(`${name} must be a combination of KVM_CLOCK_TSC_STABLE (2), KVM_CLOCK_REALTIME (4) and KVM_CLOCK_HOST_TSC (8), got 0x${flags.toString(16)}: bits 0x${unknown.toString(16)} are no KVM_SET_CLOCK flag`);
  }
  return flags;
}

/** Validates an incoming clock state; throws TypeError/RangeError naming the field. */
export function decodeClockState(json: unknown): ClockMigrationState {
  const root = expectRecord('clock state', json);
  expectOnlyKeys('clock state', root, ['tscKhz', 'clock', 'vcpus']);
  const tscKhz = expectU64String('clock state.tscKhz', root.tscKhz);
  if (tscKhz === 0n || tscKhz > 0xffff_ffffn) throw new RangeError(`clock state.tscKhz must be between 1 and 4294967295, got ${tscKhz}: KVM_SET_TSC_KHZ takes a u32`);
  const c = expectRecord('clock state.clock', root.clock);
  expectOnlyKeys('clock state.clock', c, ['clock', 'flags', 'realtime', 'hostTsc']);
  const clock: KvmClockData = {
    clock: expectU64String('clock state.clock.clock', c.clock),
    flags: decodeClockFlags('clock state.clock.flags', c.flags),
    realtime: expectU64String('clock state.clock.realtime', c.realtime),
    hostTsc: expectU64String('clock state.clock.hostTsc', c.hostTsc),
  };
  const list = expectArray('clock state.vcpus', root.vcpus, 1024);
  if (list.length === 0) throw new RangeError('clock state.vcpus must be an array of at least one vCPU, got an empty array');
  const vcpus = list.map((item, i) => {
    const name = `clock state.vcpus[${i}]`;
    const v = expectRecord(name, item);
    expectOnlyKeys(name, v, ['tscOffset', 'scaledHostTsc']);
    return { tscOffset: expectU64String(`${name}.tscOffset`, v.tscOffset), scaledHostTsc: expectU64String(`${name}.scaledHostTsc`, v.scaledHostTsc) };
  });
  return { tscKhz, clock, vcpus };
}
