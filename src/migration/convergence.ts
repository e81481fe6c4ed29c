/**
 * When pre-copy stops, as QEMU decides it (migration/migration.c, migration/ram.c):
 *
 * - After each dirty sync, the bandwidth is what the last round achieved (at most the limit),
 *   `expected-downtime = remaining / bandwidth`, and the source stops the guest for the final
 *   copy once that fits `max-downtime` (QEMU's threshold_size = bandwidth × downtime_limit).
 * - Auto-converge (migration_trigger_throttle): when the bytes dirtied in a sync period exceed
 *   `throttle-trigger-threshold` (50 %) of the bytes sent in it, twice, the guest is throttled
 *   down: `cpu-throttle-initial` (20 %) the first time, then `cpu-throttle-increment` (10 %)
 *   more each time, up to `max-cpu-throttle` (99 %).
 *
 * The bandwidth limit itself is a token bucket on the bytes written.
 */
import { sleep } from '../run/waits.ts';

export interface AutoConvergeOptions {
  /** QEMU cpu-throttle-initial. @default 20 */
  readonly initial?: number;
  /** QEMU cpu-throttle-increment. @default 10 */
  readonly increment?: number;
  /** QEMU max-cpu-throttle. @default 99 */
  readonly max?: number;
}

/** QEMU throttle-trigger-threshold, percent. */
export const THROTTLE_TRIGGER_THRESHOLD = 50;
/** Periods in a row over the threshold before the throttle moves (QEMU's dirty_rate_high_cnt >= 2). */
export const THROTTLE_TRIGGER_PERIODS = 2;

export class Convergence {
  readonly #bandwidth: number;
  readonly #maxDowntimeMs: number;
  readonly #throttle: Required<AutoConvergeOptions> | undefined;
  readonly #onTrigger: (() => void) | undefined;
  #high = 0;
  #percent = 0;

  /**
   * @param bandwidth bytes per second
   * @param onTrigger called when the dirty rate is too high for the link twice (the dirty limit's trigger)
   */
  constructor(bandwidth: number, maxDowntimeMs: number, autoConverge: Required<AutoConvergeOptions> | undefined, onTrigger?: () => void) {
    this.#bandwidth = bandwidth;
    this.#maxDowntimeMs = maxDowntimeMs;
    this.#throttle = autoConverge;
    this.#onTrigger = onTrigger;
  }

  get throttlePercent(): number {
    return this.#percent;
  }

  /** Bytes per second for the downtime estimate: what the round achieved, at most the limit. */
  bandwidthEstimate(bytes: number, ms: number): number {
    // A round too short to measure says nothing about the link: use the limit.
    if (bytes < 2 ** 20 || ms <= 0) return this.#bandwidth;
    return Math.min(this.#bandwidth, (bytes * 1000) / ms);
  }

  expectedDowntimeMs(remainingBytes: number, bandwidth: number): number {
    return (remainingBytes * 1000) / bandwidth;
  }

  fits(expectedDowntimeMs: number): boolean {
    return expectedDowntimeMs <= this.#maxDowntimeMs;
  }

  /** After a sync: the new throttle percent when auto-converge moved it, else undefined. */
  afterSync(dirtyBytes: number, sentBytes: number): number | undefined {
    if (dirtyBytes * 100 <= sentBytes * THROTTLE_TRIGGER_THRESHOLD) return undefined;
    if (++this.#high < THROTTLE_TRIGGER_PERIODS) return undefined;
    this.#high = 0;
    this.#onTrigger?.();
    const t = this.#throttle;
    if (!t) return undefined;
    this.#percent = this.#percent === 0 ? t.initial : Math.min(t.max, this.#percent + t.increment);
    return this.#percent;
  }
}

const BURST_MS = 100;

/** The bandwidth limit: a token bucket over bytes written, refilled at `bytesPerSecond`. */
export class RateLimiter {
  readonly #rate: number;
  #t0 = performance.now();
  #bytes = 0;

  constructor(bytesPerSecond: number) {
    this.#rate = bytesPerSecond;
  }

  /** Account for `bytes` written; waits while the writer is ahead of the rate (bounded by the bytes' own share). */
  async take(bytes: number, ...signals: (AbortSignal | undefined)[]): Promise<void> {
    this.#bytes += bytes;
    let aheadMs = (this.#bytes * 1000) / this.#rate - (performance.now() - this.#t0);
    // A writer that fell behind (a sync, a slow guest copy) may catch up by at most 100 ms worth of bytes.
    if (aheadMs < -BURST_MS) {
      this.#t0 += -aheadMs - BURST_MS;
      aheadMs = -BURST_MS;
    }
    // Sleep only when at least a millisecond ahead: timers are no finer than that.
    if (aheadMs >= 1) await sleep(aheadMs, ...signals);
  }

  /** A new period (the final copy after the pause starts its own bucket, with no debt and no credit). */
  restart(): void {
    this.#t0 = performance.now();
    this.#bytes = 0;
  }
}
