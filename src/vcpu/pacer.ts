/**
 * The write-rate cap: a vCPU may have made at most 1 + rate × (running time) writes, where
 * running time counts only while the host lets it run (pauses between rounds do not bank
 * credit, so a resume is not a burst). Slices are cut to the allowance; when nothing is
 * allowed, the thread sleeps in short steps until the next write is due, so kicks and
 * pauses are still seen promptly.
 */
export class Pacer {
  readonly #rate: number;
  #banked = 0; // running milliseconds before the current stretch
  #since: number | undefined; // start of the current running stretch
  #writes = 0;

  /** `rate` writes per second; 0 = no cap. */
  constructor(rate: number) {
    this.#rate = rate;
  }

  /** How many writes the next slice may make, at most `max`; 0 = wait for the next one to fall due. */
  allowance(max: number): number {
    if (this.#rate === 0) return max;
    this.#since ??= performance.now();
    const allowed = Math.floor((this.#rate * this.#runningMs()) / 1000) + 1 - this.#writes;
    return Math.max(0, Math.min(max, allowed));
  }

  wrote(n: number): void {
    this.#writes += n;
  }

  /** Milliseconds until the next write falls due (0 when uncapped or already due). */
  msUntilDue(): number {
    if (this.#rate === 0) return 0;
    return Math.max(0, (this.#writes * 1000) / this.#rate - this.#runningMs());
  }

  /** The host paused or stopped the vCPU: the running clock stops. */
  stop(): void {
    if (this.#since === undefined) return;
    this.#banked += performance.now() - this.#since;
    this.#since = undefined;
  }

  #runningMs(): number {
    return this.#banked + (this.#since === undefined ? 0 : performance.now() - this.#since);
  }
}
