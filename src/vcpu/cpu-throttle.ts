/**
 * Auto-converge's CPU throttle, as QEMU's cpu_throttle does it: at a throttle of p percent a
 * vCPU, after every 10 ms it ran (CPU_THROTTLE_TIMESLICE_NS), stays out of guest mode for
 * 10 ms × p / (100 − p). The host writes p into the VM block; each vCPU thread reads it between
 * slices, so a change reaches every vCPU within a slice. A sleeping vCPU still answers kicks,
 * pauses and stops (the thread naps on the run epoch, which kicks wake).
 */

/** QEMU's CPU_THROTTLE_TIMESLICE_NS, in ms. */
export const THROTTLE_TIMESLICE_MS = 10;

export class CpuThrottle {
  /** Start of the current running stretch; undefined while unthrottled or asleep. */
  #runningSince: number | undefined;
  /** Until when the vCPU stays out of guest mode. */
  #asleepUntil = 0;

  /** Milliseconds this vCPU must stay out now, at throttle `pct` (0 = may run). */
  offFor(pct: number, now: number): number {
    if (now < this.#asleepUntil) return this.#asleepUntil - now;
    this.#asleepUntil = 0;
    if (pct <= 0) {
      this.#runningSince = undefined;
      return 0;
    }
    this.#runningSince ??= now;
    if (now - this.#runningSince < THROTTLE_TIMESLICE_MS) return 0;
    const p = Math.min(pct, 99);
    this.#asleepUntil = now + (THROTTLE_TIMESLICE_MS * p) / (100 - p);
    this.#runningSince = undefined;
    return this.#asleepUntil - now;
  }

  /** Whether a sleep was set and has not been seen to end: unthrottled, a slice needs no clock read. */
  get sleeping(): boolean {
    return this.#asleepUntil !== 0;
  }

  /** Milliseconds of sleep left (0 when it may run). */
  msLeft(now: number): number {
    return Math.max(0, this.#asleepUntil - now);
  }
}
