/**
 * Progress of a long experiment: point k of n, time elapsed, and an estimate of the time left.
 * The estimate weighs each remaining point by its expected length (a 2 s run counts twice a
 * 1 s run) and scales by how long the finished points really took, start-up included.
 */
export interface Progress {
  /** Points finished before this one. */
  readonly done: number;
  readonly total: number;
  /** What starts now. */
  readonly label: string;
  readonly elapsedMs: number;
  /** Undefined until a point has finished (nothing to scale by yet). */
  readonly remainingMs: number | undefined;
}

export type ProgressListener = (p: Progress) => void;

export interface ProgressClock {
  starting(k: number, label: string): Progress;
  finished(k: number): void;
}

/** A clock for points whose expected lengths (any unit) are `weights`. */
export function progressClock(weights: readonly number[], now: () => number = () => performance.now()): ProgressClock {
  const started = now();
  let doneWeight = 0;
  const total = weights.reduce((a, w) => a + w, 0);
  return {
    starting(k, label) {
      const elapsedMs = now() - started;
      const remainingMs = doneWeight > 0 ? (elapsedMs / doneWeight) * (total - doneWeight) : undefined;
      return { done: k, total: weights.length, label, elapsedMs, remainingMs };
    },
    finished(k) {
      doneWeight += weights[k] ?? 0;
    },
  };
}
