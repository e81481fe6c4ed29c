/**
 * The dirty limit's hold on one vCPU (QEMU's dirtylimit_vcpu_execute): after a ring-full exit
 * has been reaped, the vCPU stays out of the guest for throttle_us_per_full before it runs
 * again. The hold counts only while the host lets the vCPU run, as the pacer's clock does: a
 * pause between rounds neither serves it nor is served by it, so the rate per second of
 * running time is what the limit holds. What was served is added up for the run's report.
 */
export class Throttle {
  /** Hold still to serve, in ms of running time. */
  #leftMs = 0;
  /** Start of the current stretch of serving it. */
  #since: number | undefined;
  readonly #served: (ms: number) => void;

  /** `served` is told every stretch of hold the vCPU has sat out, in ms. */
  constructor(served: (ms: number) => void) {
    this.#served = served;
  }

  /** A full exit was reaped: hold the vCPU `us` µs more. */
  hold(us: number): void {
    if (us > 0) this.#leftMs += us / 1000;
  }

  /** Milliseconds of hold left (0: the vCPU may run); the hold is served from the first look. */
  msLeft(): number {
    if (this.#leftMs <= 0) return 0;
    const now = performance.now();
    this.#since ??= now;
    if (now - this.#since < this.#leftMs) return this.#leftMs - (now - this.#since);
    this.#served(this.#leftMs);
    this.#leftMs = 0;
    this.#since = undefined;
    return 0;
  }

  /** The host paused or stopped the vCPU: the hold's clock stops with what is left. */
  stop(): void {
    if (this.#since === undefined) return;
    const ms = Math.min(this.#leftMs, performance.now() - this.#since);
    this.#served(ms);
    this.#leftMs -= ms;
    this.#since = undefined;
  }
}
