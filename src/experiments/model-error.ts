/**
 * How far the model lands from the kernel: for every workload a ring sweep ran on the real
 * kernel, the model's and the calibrated model's medians at each ring size against the
 * kernel's, as relative errors ((model - kernel) / kernel), and per metric the median of their
 * absolute values over the sizes. A model worth its name predicts the kernel's curve: its
 * throughput, its full exits and how long its vCPUs stall, and the ring size it would pick.
 */
import type { MetricSummaries } from './metrics.ts';
import { percent, times } from './words.ts';

/** What a point runs on: the real kernel (backend kvm), the model, or the model with this host's kernel costs. */
export type SweepSide = 'kernel' | 'model' | 'calibrated';
export const SIDE_LABELS: Readonly<Record<SweepSide, string>> = { kernel: 'kernel', model: 'model', calibrated: 'calibrated model' };

/** One side of one workload, as a sweep measured it. */
export interface SideCurve {
  readonly side: SweepSide;
  /** The workload without its side: what a kernel curve and its models share. */
  readonly workload: string;
  readonly points: readonly { readonly ringEntries: number; readonly summary: MetricSummaries }[];
  /** The ring size the sweep found best, if any. */
  readonly best: number | undefined;
}

/** The metrics an error is reported for. */
export const ERROR_METRICS = ['writesPerSecond', 'fullExitsPerSecond', 'stallShare'] as const;
export type ErrorMetric = (typeof ERROR_METRICS)[number];

export interface SideErrorPoint {
  readonly ringEntries: number;
  /** (model - kernel) / kernel per metric; NaN where the kernel's median is 0 or missing. */
  readonly error: Readonly<Record<ErrorMetric, number>>;
}

export interface SideError {
  /** The workload, without its side. */
  readonly workload: string;
  readonly side: Exclude<SweepSide, 'kernel'>;
  readonly points: readonly SideErrorPoint[];
  /** Median |error| over the ring sizes, per metric (NaN when no size has one). */
  readonly medianAbsError: Readonly<Record<ErrorMetric, number>>;
  /** The kernel's best ring size and this side's. */
  readonly best: { readonly kernel: number | undefined; readonly side: number | undefined };
  readonly verdict: string;
}

const median = (xs: readonly number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export function modelErrors(curves: readonly SideCurve[]): SideError[] {
  const out: SideError[] = [];
  for (const kernel of curves.filter((c) => c.side === 'kernel')) {
    const label = kernel.workload;
    for (const side of ['model', 'calibrated'] as const) {
      const other = curves.find((c) => c.side === side && c.workload === label);
      if (!other) continue;
      const points = kernel.points.flatMap((k): SideErrorPoint[] => {
        const m = other.points.find((p) => p.ringEntries === k.ringEntries);
        if (!m) return [];
        const error = Object.fromEntries(ERROR_METRICS.map((metric) => {
          const kv = k.summary[metric].median;
          const mv = m.summary[metric].median;
          return [metric, kv > 0 && Number.isFinite(mv) ? (mv - kv) / kv : Number.NaN];
        })) as Record<ErrorMetric, number>;
        return [{ ringEntries: k.ringEntries, error }];
      });
      const medianAbsError = Object.fromEntries(ERROR_METRICS.map((metric) => [metric, median(points.map((p) => Math.abs(p.error[metric])))])) as Record<ErrorMetric, number>;
      const best = { kernel: kernel.best, side: other.best };
      out.push({ workload: label, side, points, medianAbsError, best, verdict: verdict(label, side, points, medianAbsError, best) });
    }
  }
  return out;
}

/** "+240%" or "310x too high": an error a reader can take in. */
function signed(e: number): string {
  if (!Number.isFinite(e)) return 'n/a';
  if (e >= 9) return `${times(1 + e)} the kernel's`;
  if (e <= -0.9) return `${times(1 / (1 + e))} below the kernel's`;
  return `${e >= 0 ? '+' : '-'}${percent(Math.abs(e))}`;
}

function verdict(label: string, side: 'model' | 'calibrated', points: readonly SideErrorPoint[], m: Record<ErrorMetric, number>, best: SideError['best']): string {
  if (!points.length) return `${label}: no ring size finished on both the kernel and the ${SIDE_LABELS[side]}.`;
  const typical = (metric: ErrorMetric) => signed(median(points.map((p) => p.error[metric])));
  const pick = best.kernel === undefined || best.side === undefined
    ? ''
    : best.kernel === best.side ? ` It picks the kernel's best ring size, ${best.kernel} entries.` : ` It would pick ${best.side} entries where the kernel's best is ${best.kernel}.`;
  return `${label}, ${SIDE_LABELS[side]} against the kernel: throughput ${typical('writesPerSecond')} (median |error| ${pct(m.writesPerSecond)}), full exits per second ${typical('fullExitsPerSecond')} (${pct(m.fullExitsPerSecond)}), stall share ${typical('stallShare')} (${pct(m.stallShare)}), over ${points.length} ring size${points.length === 1 ? '' : 's'}.${pick}`;
}

const pct = (x: number): string => (Number.isFinite(x) ? (x >= 9 ? times(1 + x) : percent(x)) : 'n/a');
