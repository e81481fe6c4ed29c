/**
 * QEMU's dirty limit (system/dirtylimit.c), run by the collector: every period it measures
 * each vCPU's dirty rate from the ring entries it harvested (QEMU's cpu->dirty_pages, counted
 * by the global sync that ends the period), and moves the vCPU's throttle_us_per_full toward
 * the quota with QEMU's controller. The vCPU thread sleeps that long after each ring-full
 * exit (src/vcpu/throttle.ts), so a vCPU over its quota spends most of its time held, and
 * one under it runs free.
 *
 * QEMU works in MB/s (MiB, its `>> 20`); the run option is in pages per second (1 MB/s = 256
 * pages/s). The arithmetic here is QEMU's, on unrounded rates, with its integer percentages.
 */
import type { Arena } from '../kvm/arena.ts';
import { ABI } from '../layout.ts';
import type { DirtyLimitSpec } from '../threads/protocol.ts';

/** DIRTYLIMIT_TOLERANCE_RANGE: within this of the quota nothing is adjusted (MB/s). */
export const DIRTYLIMIT_TOLERANCE_RANGE = 25;
/** DIRTYLIMIT_LINEAR_ADJUSTMENT_PCT: further than this from the quota, the step is proportional. */
export const DIRTYLIMIT_LINEAR_ADJUSTMENT_PCT = 50;
/** DIRTYLIMIT_THROTTLE_PCT_MAX: the hold never exceeds 99 ring-fill times. */
export const DIRTYLIMIT_THROTTLE_PCT_MAX = 99;

const MB = 2 ** 20;
/** Pages per second as QEMU's MB/s. */
export const pagesToMBps = (pagesPerSecond: number): number => (pagesPerSecond * ABI.PAGE_SIZE) / MB;

/** What the controller keeps: QEMU keeps the highest rate ever seen in a static. */
export interface DirtyLimitState {
  maxRateMBps: number;
}

/**
 * dirtylimit_dirty_ring_full_time: how long, in µs, the highest rate seen so far takes to fill
 * a ring (its size in whole MiB, as qemu_target_pages_to_MiB rounds it).
 */
export function dirtyRingFullTimeUs(state: DirtyLimitState, ringEntries: number, rateMBps: number): number {
  state.maxRateMBps = Math.max(state.maxRateMBps, rateMBps);
  const ringMiB = Math.floor((ringEntries * ABI.PAGE_SIZE) / MB);
  return (ringMiB * 1e6) / state.maxRateMBps;
}

/**
 * dirtylimit_adjust_throttle and dirtylimit_set_throttle: the vCPU's next throttle_us_per_full,
 * given its quota and the rate it dirtied at over the last period (both MB/s).
 */
export function nextThrottleUs(state: DirtyLimitState, ringEntries: number, throttleUs: number, quota: number, current: number): number {
  if (Math.abs(quota - current) <= DIRTYLIMIT_TOLERANCE_RANGE) return throttleUs; // dirtylimit_done
  if (current === 0) return 0;
  const fullUs = dirtyRingFullTimeUs(state, ringEntries, current);
  const [lo, hi] = quota < current ? [quota, current] : [current, quota];
  let next = throttleUs;
  if (((hi - lo) * 100) / hi > DIRTYLIMIT_LINEAR_ADJUSTMENT_PCT) {
    // Far off: sleep the share of a fill time that takes the rate to the quota in one step.
    const pct = Math.floor(((hi - lo) * 100) / hi);
    const step = Math.trunc((fullUs * pct) / (100 - pct));
    next += quota < current ? step : -step;
  } else {
    next += (quota < current ? fullUs : -fullUs) / 10;
  }
  return Math.max(0, Math.min(next, fullUs * DIRTYLIMIT_THROTTLE_PCT_MAX));
}

/**
 * The collector's side of the dirty limit for the vCPUs given: when a period is due, the
 * collector kicks and reaps every ring (QEMU's global sync), then calls {@link adjust}.
 */
export class DirtyLimiter {
  readonly #arena: Arena;
  readonly #vcpus: readonly number[];
  readonly #quota: number;
  readonly #periodMs: number;
  readonly #state: DirtyLimitState = { maxRateMBps: 0 };
  /** Each vCPU's harvest counter (its fetch index) at the start of the period. */
  readonly #fetched: number[] = [];
  /** Start of the period; undefined until the guest first dirties a ring. */
  #since: number | undefined;

  constructor(arena: Arena, vcpus: readonly number[], spec: DirtyLimitSpec) {
    this.#arena = arena;
    this.#vcpus = vcpus;
    this.#quota = pagesToMBps(spec.pagesPerSecond);
    this.#periodMs = spec.periodMs;
  }

  get started(): boolean {
    return this.#since !== undefined;
  }

  /**
   * The first period starts with the first full ring, before it is reaped: QEMU sets a limit on
   * a guest that runs, and a period that began while the vCPU threads were still starting would
   * measure a rate diluted by time nobody ran.
   */
  start(now: number): void {
    this.#since = now;
    this.#vcpus.forEach((v, i) => (this.#fetched[i] = this.#arena.vcpus[v]!.fetchIndex));
  }

  /** Milliseconds until the period ends (0: measure now; Infinity before the first period). */
  msUntilDue(now: number): number {
    return this.#since === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this.#since + this.#periodMs - now);
  }

  /** The period ended and every ring was reaped: each vCPU's rate over it sets its next hold. */
  adjust(now: number): void {
    if (this.#since === undefined) return;
    const seconds = (now - this.#since) / 1000;
    this.#since = now;
    if (seconds <= 0) return;
    this.#vcpus.forEach((v, i) => {
      const c = this.#arena.vcpus[v]!;
      const fetched = c.fetchIndex;
      const entries = (fetched - this.#fetched[i]!) >>> 0; // free-running u32
      this.#fetched[i] = fetched;
      const current = pagesToMBps(entries / seconds);
      c.throttleUsPerFull = Math.round(nextThrottleUs(this.#state, c.entries, c.throttleUsPerFull, this.#quota, current));
    });
  }
}
