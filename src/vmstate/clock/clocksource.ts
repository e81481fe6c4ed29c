/**
 * The guest's clocksource overflow limits, computed with the kernel's own algorithm
 * (kernel/time/clocksource.c: __clocksource_update_freq_scale, clocks_calc_mult_shift,
 * clocksource_max_adjustment, clocks_calc_max_nsecs), and a guest timekeeper that converts
 * counter deltas the way a pre-6.10 kernel does: a 64-bit `delta * mult` that wraps.
 *
 * A restore that makes the guest counter jump forward by more than max_idle_ns is what these
 * limits guard against (vm-state.md 1.5, invariant 6).
 */
import { U64_MAX, u64 } from '../u64.ts';
import { requireBigInt } from '../../validate.ts';

const NSEC_PER_SEC = 1_000_000_000n;
const U32_MAX = 0xffff_ffffn;
/** The 600 s cap on the conversion range of 64-bit counters such as the TSC. */
export const CLOCKSOURCE_MAXSEC_CAP = 600n;

/** A registered clocksource's conversion pair and the limits derived from it. */
export interface ClocksourceLimits {
  readonly name: string;
  /** Counter frequency in Hz. */
  readonly freqHz: bigint;
  readonly mask: bigint;
  readonly mult: bigint;
  readonly shift: bigint;
  /** 11% of mult: how far NTP may steer it. */
  readonly maxadj: bigint;
  /** Largest delta (cycles) that can be converted without overflowing at mult + maxadj. */
  readonly maxCycles: bigint;
  /** Half of max_cycles converted at mult - maxadj: the longest a guest may go without a tick. */
  readonly maxIdleNs: bigint;
  /** 0.875 * mask: larger deltas are treated as negative motion (newer kernels). */
  readonly maxRawDelta: bigint;
}

/** clocks_calc_mult_shift: the largest shift whose mult still converts `maxsec` seconds in 64 bits. */
export function calcMultShift(from: bigint, to: bigint, maxsec: bigint): { mult: bigint; shift: bigint } {
  let sftacc = 32n;
  let tmp = (maxsec * from) >> 32n;
  while (tmp > 0n) {
    tmp >>= 1n;
    sftacc--;
  }
  let sft = 32n;
  for (; sft > 0n; sft--) {
    tmp = ((to << sft) + from / 2n) / from;
    if (tmp >> sftacc === 0n) break;
  }
  // The kernel stores mult in a u32; the loop above guarantees it fits.
  return { mult: tmp & U32_MAX, shift: sft };
}

/**
 * Registers a clocksource the way clocksource_register_{hz,khz} does and returns its limits.
 * `scale` is 1 for *_register_hz and 1000 for *_register_khz (the TSC registers in kHz, and
 * the rounding of that path is what makes the boot-log numbers come out).
 */
export function registerClocksource(name: string, freq: bigint, scale: 1n | 1000n, mask: bigint = U64_MAX): ClocksourceLimits {
  requireBigInt('freq', freq, 1n, U32_MAX);
  let sec = mask / freq / scale;
  if (sec === 0n) sec = 1n;
  else if (sec > CLOCKSOURCE_MAXSEC_CAP && mask > U32_MAX) sec = CLOCKSOURCE_MAXSEC_CAP;
  let { mult, shift } = calcMultShift(freq, NSEC_PER_SEC / scale, sec * scale);
  let maxadj = (mult * 11n) / 100n;
  // u32 overflow of mult +/- maxadj would break NTP steering; the kernel trades precision for range.
  while (mult + maxadj > U32_MAX || mult < maxadj) {
    mult >>= 1n;
    shift--;
    maxadj = (mult * 11n) / 100n;
  }
  let maxCycles = U64_MAX / (mult + maxadj);
  if (maxCycles > mask) maxCycles = mask;
  const maxIdleNs = ((maxCycles * (mult - maxadj)) >> shift) >> 1n;
  const maxRawDelta = (mask >> 1n) + (mask >> 2n) + (mask >> 3n);
  return { name, freqHz: freq * scale, mask, mult, shift, maxadj, maxCycles, maxIdleNs, maxRawDelta };
}

/** The guest TSC clocksource at `tscKhz` (clocksource_register_khz(&clocksource_tsc, tsc_khz)). */
export function tscClocksource(tscKhz: bigint): ClocksourceLimits {
  requireBigInt('tscKhz', tscKhz, 1n, U32_MAX);
  return registerClocksource('tsc', tscKhz, 1000n);
}

/** The kvm-clock clocksource: a 1 GHz nanosecond counter (clocksource_register_hz(NSEC_PER_SEC)). */
export function kvmClockClocksource(): ClocksourceLimits {
  return registerClocksource('kvm-clock', NSEC_PER_SEC, 1n);
}

/**
 * One guest timekeeper (Linux keeps one per system, not per CPU): a base `{cycleLast, baseNs}`
 * advanced on every tick, and readers that add `(delta * mult) >> shift` computed in 64 bits.
 * Once delta exceeds 2^64 / mult the product wraps and a reader gets a smaller value than an
 * earlier one: the failure that the safe restore protocols exist to prevent.
 */
export class GuestTimekeeper {
  #cycleLast: bigint;
  #baseNs: bigint;

  constructor(
    readonly clocksource: ClocksourceLimits,
    cycleNow: bigint,
    baseNs = 0n,
  ) {
    this.#cycleLast = cycleNow;
    this.#baseNs = baseNs;
  }

  /** Nanoseconds at `cycleNow` as a reader (clock_gettime) computes them. */
  read(cycleNow: bigint): bigint {
    const { mask, mult, shift, maxRawDelta } = this.clocksource;
    let delta = (cycleNow - this.#cycleLast) & mask;
    // clocksource_delta(): a huge delta is a counter that went backwards; treat it as no motion.
    if (delta > maxRawDelta) delta = 0n;
    return u64(this.#baseNs + (u64(delta * mult) >> shift));
  }

  /** The periodic tick: fold the elapsed delta into the base (same wrapping arithmetic). */
  tick(cycleNow: bigint): void {
    this.#baseNs = this.read(cycleNow);
    this.#cycleLast = cycleNow;
  }

  /**
   * Re-bases without reading a delta across a gap: what resume from suspend and the
   * stop_machine GO path do. `elapsedNs` comes from a clock that survived the gap (kvmclock).
   */
  rebase(cycleNow: bigint, elapsedNs: bigint): void {
    this.#baseNs = u64(this.#baseNs + elapsedNs);
    this.#cycleLast = cycleNow;
  }

  /** The counter value of the last tick or rebase. */
  get cycleLast(): bigint {
    return this.#cycleLast;
  }

  /** The ns value of the last tick or rebase. */
  get baseNs(): bigint {
    return this.#baseNs;
  }
}
