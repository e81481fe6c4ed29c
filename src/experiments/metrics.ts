/**
 * What an experiment measures of one run, computed from its RunResult alone (no new result
 * fields): per second of the vCPUs' running time, so runs of different lengths compare.
 * The descriptors say what each metric means and which way is better; the report reads them
 * for axis labels, so a metric is named and explained in one place.
 */
import type { RunResult } from '../run/run.ts';
import { trackingMode } from '../tracking/index.ts';
import { summarize, type Summary } from '../bench/stats.ts';

export interface RunMetrics {
  /** Guest writes per second of running time: the work the guest got done. */
  readonly writesPerSecond: number;
  /** Pages logged per second: ring entries harvested (one per page per re-arm) or, without rings, distinct dirty pages per iteration. */
  readonly dirtyPagesPerSecond: number;
  readonly fullExitsPerSecond: number;
  /** Share of the vCPUs' running time spent waiting on full rings (0 to 1). */
  readonly stallShare: number;
  /** Collector time per harvested entry (with marking) and per reset entry; 0 when no entry moved. */
  readonly harvestNsPerEntry: number;
  readonly resetNsPerEntry: number;
  /** The collector thread's time on the VMM's work, per second of running time (ms/s: 1000 is a whole core). */
  readonly collectorMsPerSecond: number;
  /** The collector's time per iteration (two syncs and the reaps between them). */
  readonly collectorMsPerIteration: number;
  /** Entries harvested in the whole run: per-entry costs from a few hundred entries are noise. */
  readonly entriesHarvested: number;
}

export type MetricKey = keyof RunMetrics;

export interface MetricInfo {
  readonly key: MetricKey;
  /** Axis and column label, with its unit. */
  readonly label: string;
  readonly unit: 'writes/s' | 'pages/s' | 'exits/s' | 'share' | 'ns' | 'ms/s' | 'ms' | 'entries';
  readonly better: 'higher' | 'lower';
}

export const METRICS: readonly MetricInfo[] = [
  { key: 'writesPerSecond', label: 'guest writes per second', unit: 'writes/s', better: 'higher' },
  { key: 'dirtyPagesPerSecond', label: 'dirty pages per second', unit: 'pages/s', better: 'higher' },
  { key: 'fullExitsPerSecond', label: 'full exits per second', unit: 'exits/s', better: 'lower' },
  { key: 'stallShare', label: 'vCPU stall share', unit: 'share', better: 'lower' },
  { key: 'harvestNsPerEntry', label: 'harvest per entry', unit: 'ns', better: 'lower' },
  { key: 'resetNsPerEntry', label: 'reset per entry', unit: 'ns', better: 'lower' },
  { key: 'collectorMsPerSecond', label: 'collector CPU time per second', unit: 'ms/s', better: 'lower' },
  { key: 'collectorMsPerIteration', label: 'collector time per iteration', unit: 'ms', better: 'lower' },
  { key: 'entriesHarvested', label: 'entries harvested', unit: 'entries', better: 'higher' },
];

export function metricInfo(key: MetricKey): MetricInfo {
  return METRICS.find((m) => m.key === key)!;
}

export function runMetrics(r: RunResult): RunMetrics {
  const t = r.totals;
  const seconds = t.runningMs / 1000;
  const per = (x: number) => (seconds > 0 ? x / seconds : 0);
  return {
    writesPerSecond: t.writesPerSecond,
    dirtyPagesPerSecond: t.entriesHarvested > 0 ? per(t.entriesHarvested) : bitmapDirtyRate(r),
    fullExitsPerSecond: per(t.fullExits),
    stallShare: t.runningMs > 0 ? t.stallMs / (r.options.vcpus * t.runningMs) : 0,
    harvestNsPerEntry: t.harvestNsPerEntry,
    resetNsPerEntry: t.resetNsPerEntry,
    collectorMsPerSecond: per(t.collectorBusyMs),
    collectorMsPerIteration: t.collectorBusyMs / Math.max(1, t.iterations),
    entriesHarvested: t.entriesHarvested,
  };
}

/**
 * Without rings nothing is harvested: the distinct pages each iteration reported are what was
 * logged. With INITIALLY_SET the first iteration reports every page of the guest, which says
 * nothing of the guest's writes: that iteration is left out, with its running time.
 */
function bitmapDirtyRate(r: RunResult): number {
  const skip = trackingMode(r.options.strategy).verify.initiallySet ? 1 : 0;
  const counted = r.iterations.slice(skip);
  const ms = counted.reduce((a, it) => a + it.runningMs, 0);
  return ms > 0 ? counted.reduce((a, it) => a + it.dirty, 0) / (ms / 1000) : 0;
}

export type MetricSummaries = { readonly [K in MetricKey]: Summary };

/** Median, MAD, min and max of every metric over the trials given. */
export function summarizeMetrics(trials: readonly RunMetrics[]): MetricSummaries {
  const out = {} as Record<MetricKey, Summary>;
  for (const m of METRICS) out[m.key] = summarize(trials.map((t) => t[m.key]));
  return out;
}
