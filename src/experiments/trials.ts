/**
 * Repeated runs of a list of points, the way every sweep and comparison runs them: trials
 * interleaved (every point's first trial, then every point's second, ...), so a neighbour
 * that loads the shared machine for a while spreads over all points instead of skewing one.
 * Options are checked for every point before the first run starts. Ctrl-C (the signal) ends
 * the run in progress within a second; the trials that finished are kept, the aborted one is
 * dropped.
 */
import { resolveRunOptions, type RunOptions } from '../run/options.ts';
import { startRun, type IterationReport, type RunResult } from '../run/run.ts';
import { runMetrics, summarizeMetrics, type MetricSummaries, type RunMetrics } from './metrics.ts';
import { progressClock, type ProgressListener } from './progress.ts';

export interface PointSpec {
  /** Shown in progress lines and reports. */
  readonly label: string;
  /** The run; `seed` is the first trial's seed, the next trials add 1, 2, ... */
  readonly options: Omit<RunOptions, 'signal'>;
}

export interface TrialOutcome {
  readonly trial: number;
  readonly seed: number;
  readonly kind: 'completed' | 'failed';
  readonly metrics: RunMetrics;
  /** Per-iteration reports, for the timelines. */
  readonly iterations: readonly IterationReport[];
  readonly verification: RunResult['verification']['kind'];
  /** Why a failed trial failed (a thread, named). */
  readonly error?: string;
}

export interface PointOutcome {
  readonly trials: readonly TrialOutcome[];
  /** Over the completed trials; NaN medians when none completed. */
  readonly summary: MetricSummaries;
}

export interface TrialsOptions {
  readonly trials: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface TrialsResult {
  readonly points: readonly PointOutcome[];
  /** The signal fired: some trials did not run. */
  readonly interrupted: boolean;
}

/** The seed of trial `t` of a point whose options say `seed`. */
export const trialSeed = (options: Pick<RunOptions, 'seed'>, t: number): number => (options.seed ?? 1) + t;

/** Throws the library's TypeError or RangeError, prefixed with the point, before anything runs. */
export function checkPoints(points: readonly PointSpec[], trials: number): void {
  points.forEach((p, i) => {
    try {
      resolveRunOptions({ ...p.options, seed: trialSeed(p.options, trials - 1) });
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) {
        const E = err instanceof TypeError ? TypeError : RangeError;
        throw new E(`point ${i + 1} (${p.label}): ${err.message}`);
      }
      throw err;
    }
  });
}

/** A finished run as one trial of a point. */
export function trialOutcome(result: Exclude<RunResult, { kind: 'aborted' }>, trial: number, seed: number): TrialOutcome {
  return {
    trial,
    seed,
    kind: result.kind,
    metrics: runMetrics(result),
    iterations: result.iterations,
    verification: result.verification.kind,
    ...(result.kind === 'failed' ? { error: `${result.error.thread}${result.error.vcpu === undefined ? '' : ` ${result.error.vcpu}`}: ${result.error.message}` } : {}),
  };
}

/** Median, MAD and range of each metric over a point's completed trials. */
export function pointOutcome(trials: readonly TrialOutcome[]): PointOutcome {
  return { trials, summary: summarizeMetrics(trials.filter((t) => t.kind === 'completed').map((t) => t.metrics)) };
}

export async function runPoints(points: readonly PointSpec[], o: TrialsOptions): Promise<TrialsResult> {
  checkPoints(points, o.trials);
  const outcomes: TrialOutcome[][] = points.map(() => []);
  const jobs = Array.from({ length: o.trials }, (_, t) => points.map((p, i) => ({ point: i, trial: t, spec: p }))).flat();
  const clock = progressClock(jobs.map((j) => j.spec.options.seconds ?? 1));
  for (const [k, job] of jobs.entries()) {
    if (o.signal?.aborted) break;
    o.onProgress?.(clock.starting(k, `${job.spec.label}${o.trials > 1 ? `, trial ${job.trial + 1} of ${o.trials}` : ''}`));
    const seed = trialSeed(job.spec.options, job.trial);
    const result = await startRun({ ...job.spec.options, seed, ...(o.signal ? { signal: o.signal } : {}) }).result;
    clock.finished(k);
    if (result.kind === 'aborted') break; // cut short: its numbers describe a fraction of a run
    outcomes[job.point]!.push(trialOutcome(result, job.trial, seed));
  }
  return {
    points: outcomes.map(pointOutcome),
    interrupted: o.signal?.aborted === true,
  };
}
