/**
 * How far a model lands from the kernel: at each ring size both ran, (model - kernel) / kernel
 * of the medians per metric; the median of its absolute value over the sizes; no error where
 * the kernel's median is 0 (a ring that never filled); each model matched to the kernel's
 * curve of the same workload only; and the verdict says which ring size each would pick.
 */
import { expect, it } from 'vitest';
import type { Summary } from '../src/bench/stats.ts';
import type { MetricSummaries } from '../src/experiments/metrics.ts';
import { modelErrors, type SideCurve, type SweepSide } from '../src/experiments/model-error.ts';

const s = (median: number): Summary => ({ median, mad: 0, min: median, max: median, samples: 1 });
const summary = (writes: number, exits: number, stall: number) => ({ writesPerSecond: s(writes), fullExitsPerSecond: s(exits), stallShare: s(stall) }) as unknown as MetricSummaries;
const curve = (side: SweepSide, workload: string, best: number | undefined, points: [number, number, number, number][]): SideCurve => ({
  side, workload, best, points: points.map(([ringEntries, w, e, st]) => ({ ringEntries, summary: summary(w, e, st) })),
});

it('compares each model with the kernel of its own workload, size by size', () => {
  const errors = modelErrors([
    curve('kernel', 'random', 4096, [[256, 100, 10, 0.5], [4096, 200, 0, 0]]),
    curve('model', 'random', 256, [[256, 1000, 40, 0.9], [4096, 1400, 0, 0]]),
    curve('calibrated', 'random', 4096, [[256, 80, 12, 0.4], [4096, 220, 1, 0.1], [65536, 5, 5, 5]]),
    curve('kernel', 'zipf', undefined, [[256, 1, 1, 1]]), // no model of zipf: no error for it
  ]);
  expect(errors.map((e) => [e.workload, e.side])).toEqual([['random', 'model'], ['random', 'calibrated']]);
  const [model, calibrated] = errors;
  expect(model!.points.map((p) => p.ringEntries)).toEqual([256, 4096]); // only the sizes the kernel ran
  expect(model!.points[0]!.error.writesPerSecond).toBeCloseTo(9);
  expect(model!.points[1]!.error.writesPerSecond).toBeCloseTo(6);
  expect(model!.points[0]!.error.fullExitsPerSecond).toBeCloseTo(3);
  expect(model!.points[1]!.error.fullExitsPerSecond).toBeNaN(); // the kernel never filled a 4096 ring
  expect(model!.medianAbsError.writesPerSecond).toBeCloseTo(7.5);
  expect(model!.medianAbsError.fullExitsPerSecond).toBeCloseTo(3);
  expect(calibrated!.points[0]!.error.writesPerSecond).toBeCloseTo(-0.2);
  expect(calibrated!.points[1]!.error.writesPerSecond).toBeCloseTo(0.1);
  expect(calibrated!.medianAbsError.writesPerSecond).toBeCloseTo(0.15);
  expect(calibrated!.medianAbsError.stallShare).toBeCloseTo(0.2);
  expect(model!.best).toEqual({ kernel: 4096, side: 256 });
  expect(model!.verdict).toMatch(/would pick 256 entries where the kernel's best is 4096/);
  expect(calibrated!.verdict).toMatch(/picks the kernel's best ring size, 4096 entries/);
  expect(calibrated!.verdict).toMatch(/^random, calibrated model against the kernel: throughput /);
});

it('says so when no ring size finished on both', () => {
  const [e] = modelErrors([curve('kernel', 'random', undefined, [[256, 1, 1, 1]]), curve('model', 'random', undefined, [[1024, 1, 1, 1]])]);
  expect(e!.points).toEqual([]);
  expect(e!.medianAbsError.writesPerSecond).toBeNaN();
  expect(e!.verdict).toBe('random: no ring size finished on both the kernel and the model.');
});

it('counts the sizes it compared in words that agree', () => {
  const [e] = modelErrors([curve('kernel', 'random', 256, [[256, 100, 1, 0.5]]), curve('model', 'random', 256, [[256, 150, 1, 0.5]])]);
  expect(e!.verdict).toMatch(/throughput \+50% \(median \|error\| 50%\), .* over 1 ring size\. It picks the kernel's best ring size, 256 entries\.$/);
});
