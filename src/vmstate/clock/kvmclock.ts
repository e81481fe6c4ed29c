/**
 * A host and a VM's clock state as KVM keeps it: one kvmclock per VM (KVM_GET_CLOCK /
 * KVM_SET_CLOCK, struct kvm_clock_data) and, per vCPU, a TSC scaling ratio and a u64 offset
 * (KVM_VCPU_TSC_CTRL / KVM_VCPU_TSC_OFFSET). Time is simulated: every call takes `t`, the world
 * time in ns, so a test decides exactly when each host reads its counters.
 */
import { TSC_VENDORS, guestTsc, scaleTsc, setTscKhz, type SetTscKhzOutcome, type TscScaling, type TscVendor } from './tsc.ts';
import { U64_MAX, mulDiv, u64 } from '../u64.ts';
import { describe, quote, rejectUnknownKeys, requireBigInt, requireBoolean, requireInteger, requireObject, requireOneOf } from '../../validate.ts';

/** Every vCPU sees exactly the returned kvmclock (master clock). Value 1 is deliberately unused. */
export const KVM_CLOCK_TSC_STABLE = 2;
/** GET: `realtime` is valid. SET: roll kvmclock forward by (now_realtime - realtime) if positive. */
export const KVM_CLOCK_REALTIME = 4;
/** GET: `hostTsc` holds the raw host TSC read at the same instant. */
export const KVM_CLOCK_HOST_TSC = 8;
/** Every flag KVM_SET_CLOCK accepts (x86.c): any other bit is -EINVAL. */
export const KVM_CLOCK_VALID_FLAGS = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;
/** sizeof(struct kvm_clock_data). */
export const KVM_CLOCK_DATA_SIZE = 48;

/** struct kvm_clock_data without its padding. */
export interface KvmClockData {
  readonly clock: bigint;
  readonly flags: number;
  readonly realtime: bigint;
  readonly hostTsc: bigint;
}

/** A host's counters as linear functions of world time. */
export interface HostSpec {
  readonly name: string;
  readonly vendor: TscVendor;
  readonly tscKhz: bigint;
  /** Raw host TSC at world time 0 (hosts booted at different times have unrelated TSCs). */
  readonly tscAtZero: bigint;
  /** Host CLOCK_REALTIME at world time 0; two hosts disagree when these differ. */
  readonly realtimeAtZeroNs: bigint;
  /** realtime/host_tsc are only filled when the host clocksource is the TSC. @default true */
  readonly clocksourceIsTsc?: boolean;
}

/** A simulated host. */
export class Host {
  readonly spec: HostSpec;

  /** @param name how messages call `spec` (runClockMigration passes 'src' or 'dst'). */
  constructor(spec: HostSpec, name = 'spec') {
    const s = requireObject(name, spec);
    rejectUnknownKeys(name, s, ['name', 'vendor', 'tscKhz', 'tscAtZero', 'realtimeAtZeroNs', 'clocksourceIsTsc']);
    if (typeof s.name !== 'string') throw new TypeError(`${name}.name must be a string, got ${describe(s.name)}`);
    // A copy of the checked fields: the caller's object may change later, this host may not.
    this.spec = Object.freeze({
      name: s.name,
      vendor: requireOneOf(`${name}.vendor`, s.vendor, TSC_VENDORS),
      tscKhz: requireBigInt(`${name}.tscKhz`, s.tscKhz, 1n, 0xffff_ffffn),
      tscAtZero: requireBigInt(`${name}.tscAtZero`, s.tscAtZero, 0n, U64_MAX),
      realtimeAtZeroNs: requireBigInt(`${name}.realtimeAtZeroNs`, s.realtimeAtZeroNs, 0n, U64_MAX),
      clocksourceIsTsc: requireBoolean(`${name}.clocksourceIsTsc`, s.clocksourceIsTsc, true),
    });
  }

  /** Raw host TSC at world time `t`. */
  tsc(t: bigint): bigint {
    return u64(this.spec.tscAtZero + mulDiv(t, this.spec.tscKhz, 1_000_000n));
  }

  /** Host CLOCK_REALTIME at world time `t`. */
  realtime(t: bigint): bigint {
    return u64(this.spec.realtimeAtZeroNs + t);
  }
}

/** One vCPU's TSC controls. */
export interface VcpuTsc {
  scaling: TscScaling;
  offset: bigint;
  /** IA32_TSC_ADJUST: the only legitimate per-vCPU skew; normally 0. */
  tscAdjust: bigint;
}

/** KVM's answer to KVM_SET_CLOCK. */
export type SetClockOutcome =
  | { readonly kind: 'ok'; readonly clock: bigint; readonly realtimeGapNs: bigint }
  | { readonly kind: 'error'; readonly errno: 'EINVAL'; readonly reason: string };

/** A VM's clock state on one host. */
export class KvmVm {
  readonly host: Host;
  readonly vcpus: VcpuTsc[];
  /** kvmclock = host monotonic ns + kvmclock_offset (mod 2^64). Host monotonic is world time here. */
  #kvmclockOffset: bigint;

  private constructor(host: Host, vcpus: VcpuTsc[], kvmclockOffset: bigint) {
    this.host = host;
    this.vcpus = vcpus;
    this.#kvmclockOffset = kvmclockOffset;
  }

  /**
   * Creates a VM at world time `t`: every vCPU gets KVM_SET_TSC_KHZ(tscKhz) and the offset that
   * makes its TSC read 0 now, and kvmclock starts at 0. Throws RangeError when the host refuses
   * the rate (nothing is created).
   */
  static create(host: Host, options: { readonly vcpus: number; readonly tscKhz: bigint; readonly t: bigint }): KvmVm {
    if (!(host instanceof Host)) throw new TypeError(`host must be a Host, got ${describe(host)}`);
    const o = requireObject('options', options);
    rejectUnknownKeys('options', o, ['vcpus', 'tscKhz', 't']);
    const vcpus = requireInteger('vcpus', o.vcpus, 1, 1024);
    const tscKhz = requireBigInt('tscKhz', o.tscKhz, 1n, 0xffff_ffffn);
    const t = requireBigInt('t', o.t, 0n, U64_MAX);
    const outcome = setTscKhz({ userKhz: tscKhz, hostKhz: host.spec.tscKhz, vendor: host.spec.vendor });
    if (outcome.kind === 'error') throw new RangeError(`tscKhz must be a rate host ${quote(host.spec.name)} can run, got ${tscKhz}n: ${outcome.reason}`);
    const offset = u64(-scaleTsc(host.tsc(t), outcome.scaling));
    const list = Array.from({ length: vcpus }, () => ({ scaling: outcome.scaling, offset, tscAdjust: 0n }));
    return new KvmVm(host, list, u64(-t));
  }

  #vcpu(index: number): VcpuTsc {
    return this.vcpus[requireInteger('vcpu index', index, 0, this.vcpus.length - 1, `this VM has ${this.vcpus.length} vCPUs`)]!;
  }

  /** kvmclock ns at world time `t`. */
  kvmclock(t: bigint): bigint {
    return u64(t + this.#kvmclockOffset);
  }

  /** RDTSC on vCPU `index` at world time `t`. */
  readTsc(index: number, t: bigint): bigint {
    const v = this.#vcpu(index);
    return guestTsc(this.host.tsc(t), v.scaling, v.offset, v.tscAdjust);
  }

  /** Master-clock mode: every vCPU has the same offset and ratio and the host clocksource is the TSC. */
  tscStable(): boolean {
    const [first, ...rest] = this.vcpus;
    if (!first || this.host.spec.clocksourceIsTsc === false) return false;
    return rest.every((v) => v.offset === first.offset && v.scaling.ratio === first.scaling.ratio);
  }

  /** KVM_GET_CLOCK. */
  getClock(t: bigint): KvmClockData {
    const tscHost = this.host.spec.clocksourceIsTsc !== false;
    const flags = (this.tscStable() ? KVM_CLOCK_TSC_STABLE : 0) | (tscHost ? KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC : 0);
    return {
      clock: this.kvmclock(t),
      flags,
      realtime: tscHost ? this.host.realtime(t) : 0n,
      hostTsc: tscHost ? this.host.tsc(t) : 0n,
    };
  }

  /** What KVM_SET_CLOCK would set, without applying it (lets a caller check before it commits). */
  previewSetClock(data: KvmClockData, t: bigint): SetClockOutcome {
    if (!Number.isInteger(data.flags) || data.flags < 0 || (data.flags & ~KVM_CLOCK_VALID_FLAGS) !== 0) {
      return { kind: 'error', errno: 'EINVAL', reason: `flags 0x${data.flags.toString(16)} has bits outside TSC_STABLE|REALTIME|HOST_TSC` };
    }
    let clock = u64(data.clock);
    let realtimeGapNs = 0n;
    if (data.flags & KVM_CLOCK_REALTIME) {
      const now = this.host.realtime(t);
      // Only a positive gap is added: REALTIME can move kvmclock forward, never backwards.
      if (now > data.realtime) {
        realtimeGapNs = now - data.realtime;
        clock = u64(clock + realtimeGapNs);
      }
    }
    return { kind: 'ok', clock, realtimeGapNs };
  }

  /** KVM_SET_CLOCK: any valid flag is accepted so GET output can be passed back; only REALTIME acts. */
  setClock(data: KvmClockData, t: bigint): SetClockOutcome {
    const outcome = this.previewSetClock(data, t);
    if (outcome.kind === 'ok') this.#kvmclockOffset = u64(outcome.clock - t);
    return outcome;
  }

  /** KVM_GET_DEVICE_ATTR(KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET). */
  getTscOffset(index: number): bigint {
    return this.#vcpu(index).offset;
  }

  /** KVM_SET_DEVICE_ATTR(KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET). */
  setTscOffset(index: number, offset: bigint): void {
    this.#vcpu(index).offset = requireBigInt('offset', offset, 0n, U64_MAX);
  }

  /** KVM_SET_TSC_KHZ on one vCPU; the scaling changes only on success. */
  setTscKhz(index: number, khz: bigint): SetTscKhzOutcome {
    const v = this.#vcpu(index);
    const outcome = setTscKhz({ userKhz: khz, hostKhz: this.host.spec.tscKhz, vendor: this.host.spec.vendor });
    if (outcome.kind !== 'error') v.scaling = outcome.scaling;
    return outcome;
  }

  /**
   * Legacy host-initiated IA32_TSC write at world time `t`: offset = value - scaled host TSC now.
   * Modelled without kvm_synchronize_tsc's +/-1 s matching, i.e. the per-vCPU skew it exists to hide.
   */
  writeTscMsr(index: number, value: bigint, t: bigint): void {
    const v = this.#vcpu(index);
    v.offset = u64(value - scaleTsc(this.host.tsc(t), v.scaling));
  }
}
