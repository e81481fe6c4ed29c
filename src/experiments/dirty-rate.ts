/**
 * QEMU's calc-dirty-rate as a library call (`dirtylog dirty-rate`): a run whose iterations are
 * the measurement periods (src/run/dirty-rate.ts measures each), and each mode's error against
 * the pages the engine counted over the same period, summarised over the measurements.
 */
import { summarize, type Summary } from '../bench/stats.ts';
import { DIRTY_RATE_MODES, DIRTYRATE_DEFAULT_SAMPLE_PAGES, type DirtyRateMode, type DirtyRateReport } from '../run/dirty-rate.ts';
import type { RunOptions, RunSummaryOptions } from '../run/options.ts';
import type { RunError } from '../run/result.ts';
import { startRun } from '../run/run.ts';
import { requireInteger, requireObject } from '../validate.ts';
import type { GroupFigure, GroupJudge, ScenarioResult } from './comparison.ts';

/** QEMU's range for calc-time, in ms (MIN_CALC_TIME_MS, MAX_CALC_TIME_MS). */
export const MIN_CALC_TIME_MS = 50;
export const MAX_CALC_TIME_MS = 60_000;

export interface DirtyRateOptions extends Omit<RunOptions, 'dirtyRate' | 'intervalMs' | 'iterations' | 'seconds' | 'verify'> {
  /** The measurement period, QEMU's calc-time (50 ms to 60 s; QEMU has no default). @default 1000 */
  readonly calcTimeMs?: number;
  /** Periods measured one after another, each a report. @default 1 */
  readonly measurements?: number;
  /**
   * A period runs on past calc-time until the guest made this many writes (all vCPUs): a host
   * too loaded to schedule the vCPU threads would otherwise measure a guest it kept idle. The
   * rates are over the period as it ran. @default 0 (exactly calc-time, as QEMU)
   */
  readonly minWrites?: number;
}

/** One mode's estimates against the truth, over every measurement. */
export interface ModeError {
  readonly mode: DirtyRateMode;
  /** (estimate - truth) / truth in per cent, over the measurements whose truth was not 0. */
  readonly errorPercent: Summary;
  /** Its size, whichever the sign: how far off a single measurement is likely to be. */
  readonly absErrorPercent: Summary;
}

interface DirtyRateRecord {
  readonly options: RunSummaryOptions;
  readonly calcTimeMs: number;
  readonly measurements: readonly DirtyRateReport[];
  readonly errors: readonly ModeError[];
}

export type DirtyRateResult =
  | (DirtyRateRecord & { readonly kind: 'completed' })
  | (DirtyRateRecord & { readonly kind: 'aborted' })
  | (DirtyRateRecord & { readonly kind: 'failed'; readonly error: RunError });

/** The run options of a dirty-rate measurement: iterations are the periods, nothing else stops them. */
export function dirtyRateRunOptions(options: DirtyRateOptions): RunOptions {
  const o = requireObject('options', options);
  const { calcTimeMs: _c, measurements: _m, minWrites: _w, ...run } = o;
  const calcTimeMs = requireInteger('calcTimeMs', o.calcTimeMs ?? 1000, MIN_CALC_TIME_MS, MAX_CALC_TIME_MS, "QEMU's calc-time range");
  const measurements = requireInteger('measurements', o.measurements ?? 1, 1, 1000);
  return {
    ...(run as Omit<RunOptions, 'strategy'>),
    strategy: o.strategy as RunOptions['strategy'],
    dirtyRate: true,
    intervalMs: calcTimeMs,
    iterations: measurements,
    // A bound only: hashing and syncs between the periods take some time too.
    seconds: Math.min(86_400, (2 * measurements * calcTimeMs) / 1000 + 5),
    minWrites: requireInteger('minWrites', o.minWrites ?? 0, 0, 1e9),
  };
}

/** What a caller hears while the measurements run. */
export interface DirtyRateListener {
  /** The run's options, resolved, before the first period. */
  readonly onStart?: (options: RunSummaryOptions) => void;
  /** Each measurement as it finishes (1-based). */
  readonly onMeasurement?: (report: DirtyRateReport, n: number) => void;
}

/**
 * Measure the guest's dirty rate `measurements` times over `calcTimeMs`, in every mode the
 * strategy allows. Options are checked before anything starts (a bad one throws here).
 */
export async function calcDirtyRate(options: DirtyRateOptions, listener: DirtyRateListener = {}): Promise<DirtyRateResult> {
  const run = dirtyRateRunOptions(options);
  const started = startRun(run);
  started.on('started', (e) => listener.onStart?.(e.options));
  started.on('iteration', (e) => e.report.dirtyRate && listener.onMeasurement?.(e.report.dirtyRate, e.report.iteration));
  const result = await started.result;
  const measurements = result.iterations.flatMap((it) => (it.dirtyRate ? [it.dirtyRate] : []));
  const record: DirtyRateRecord = { options: result.options, calcTimeMs: run.intervalMs!, measurements, errors: modeErrors(measurements) };
  return result.kind === 'failed' ? { ...record, kind: 'failed', error: result.error } : { ...record, kind: result.kind };
}

/** Each mode that was measured, with its error over the reports given. */
export function modeErrors(reports: readonly DirtyRateReport[]): ModeError[] {
  return DIRTY_RATE_MODES.flatMap((mode) => {
    const errors = reports.flatMap((r) => r.modes.filter((m) => m.mode === mode && m.errorPercent !== null).map((m) => m.errorPercent!));
    return reports.some((r) => r.modes.some((m) => m.mode === mode)) ? [{ mode, errorPercent: summarize(errors), absErrorPercent: summarize(errors.map(Math.abs)) }] : [];
  });
}

/** Every dirty-rate report of a comparison's scenario, over its trials. */
export function scenarioReports(r: ScenarioResult): DirtyRateReport[] {
  return r.outcome.trials.flatMap((t) => t.iterations.flatMap((it) => (it.dirtyRate ? [it.dirtyRate] : [])));
}

/** A signed error: +105%, -2.2%, +0.012%, 0%. */
function signed(p: number): string {
  const a = Math.abs(p);
  return p === 0 ? '0%' : `${p > 0 ? '+' : '-'}${a >= 10 ? a.toFixed(0) : a >= 1 ? a.toFixed(1) : a.toPrecision(2)}%`;
}

/** Modes whose median |error| is this close (percentage points) tie. */
const TIE = 0.05;

/** Why a mode misses, in a clause, when it misses by 1 % or more. */
const CAUSE: Record<DirtyRateMode, string> = {
  'page-sampling': 'page-sampling is a sample: its error shrinks with the square root of the sampled pages that changed',
  'dirty-ring': 'dirty-ring counts ring entries, and a page written again after its ring was reset is an entry again',
  'dirty-bitmap': 'dirty-bitmap counts the pages of one sync, so it misses nothing and counts nothing twice',
};

/**
 * `dirtylog compare dirty-rate-modes`: in each workload, the mode whose estimates lay closest to
 * the engine's count wins; the verdict gives every mode's median error and range, and, where
 * the scenarios sampled different numbers of pages, page-sampling's error at each.
 */
export const DIRTY_RATE_JUDGE: GroupJudge = {
  won: 'the mode whose estimates lay closest to the distinct pages the engine counted over the same periods (smallest median |error| over every measurement of the workload)',
  judge(group, results) {
    const errors = modeErrors(results.flatMap(scenarioReports)).filter((e) => e.errorPercent.samples > 0);
    if (errors.length === 0) return { winner: undefined, reason: `no verdict: no measurement of ${group} had a dirty page`, figures: [] };
    const closest = Math.min(...errors.map((e) => e.absErrorPercent.median));
    const best = errors.filter((e) => e.absErrorPercent.median - closest <= TIE);
    const said = errors.map((e) => `${e.mode} ${signed(e.errorPercent.median)} (${signed(e.errorPercent.min)} to ${signed(e.errorPercent.max)})`);
    const causes = errors.filter((e) => Math.abs(e.errorPercent.median) >= 1 || e.absErrorPercent.max >= 1).map((e) => CAUSE[e.mode]);
    const figures: GroupFigure[] = errors.flatMap((e) => [
      { name: `${e.mode} error, median`, value: e.errorPercent.median, unit: '%' },
      { name: `${e.mode} |error|, median`, value: e.absErrorPercent.median, unit: '%' },
    ]);
    const bySample = new Set(results.map((r) => r.options.samplePages ?? DIRTYRATE_DEFAULT_SAMPLE_PAGES)).size > 1;
    const perScenario = results.map((r) => {
      const e = modeErrors(scenarioReports(r)).find((x) => x.mode === 'page-sampling')!;
      figures.push({ scenario: r.name, name: 'page-sampling |error|, median', value: e.absErrorPercent.median, unit: '%' });
      return `${r.name} ${e.absErrorPercent.median.toFixed(1)}%`;
    });
    return {
      winner: best.length === 1 ? best[0]!.mode : undefined,
      reason: `${best.length === 1 ? `${best[0]!.mode} came closest to` : `${best.map((e) => e.mode).join(' and ')} tie, closest to`} the engine's count (median error, range over ${best[0]!.errorPercent.samples} measurements): ${said.join('; ')}.`
        + (bySample ? ` page-sampling's median |error| by sample size: ${perScenario.join(', ')}.` : '')
        + (causes.length ? ` ${causes.join('; ')}.` : ''),
      figures,
    };
  },
};
