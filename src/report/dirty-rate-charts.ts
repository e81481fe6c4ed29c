/**
 * The charts of `dirtylog compare dirty-rate-modes`: each calc-dirty-rate mode's error against
 * the pages the engine counted, per workload; and page-sampling's error against its sample
 * size, beside what a binomial sample of that size would miss by.
 */
import type { ComparisonResult, ScenarioResult } from '../experiments/comparison.ts';
import { modeErrors, scenarioReports } from '../experiments/dirty-rate.ts';
import type { BarChart, LineChart, Point, Series } from './chart.ts';
import { summarize } from '../bench/stats.ts';

/** The median of |z| for a standard normal: a binomial share's typical miss, in standard errors. */
const MEDIAN_ABS_NORMAL = 0.6745;

const median = (xs: readonly number[]): number => summarize(xs).median;

export function dirtyRateCharts(c: ComparisonResult): (BarChart | LineChart)[] {
  const charts: (BarChart | LineChart)[] = [errorBars(c)];
  const sampling = samplingLine(c);
  if (sampling) charts.push(sampling);
  return charts;
}

/** Median signed error of each mode per workload; whiskers from the lowest to the highest measurement. */
function errorBars(c: ComparisonResult): BarChart {
  const groups = [...new Set(c.scenarios.map((s) => s.group))];
  const perGroup = groups.map((g) => modeErrors(c.scenarios.filter((s) => s.group === g).flatMap(scenarioReports)));
  const modes = [...new Set(perGroup.flatMap((es) => es.map((e) => e.mode)))];
  const series = modes.map((mode) => ({
    name: mode,
    values: perGroup.map((es): Point | undefined => {
      const e = es.find((x) => x.mode === mode)?.errorPercent;
      if (!e || e.samples === 0) return undefined;
      return { x: 0, y: e.median / 100, ...(e.samples > 1 ? { lo: e.min / 100, hi: e.max / 100 } : {}) };
    }),
  }));
  return {
    kind: 'bar', id: `${c.name}-errors`, title: `${c.name}: each mode's dirty rate against the engine's count`,
    categories: groups, categoryLabel: 'workload', y: { label: "error against the engine's count (%)", scale: 'linear', format: 'share' }, series,
    verdict: `Median error of each mode's estimate against the distinct pages the engine saw written over the same period (whiskers: lowest to highest measurement). ${c.verdicts.map((v) => `${v.group}: ${v.winner ?? 'no single winner'}`).join('; ')}.`,
  };
}

/**
 * page-sampling's median |error| against the pages it sampled per GiB, for the scenarios that
 * set the sample size; dashed, the median miss of a binomial share of that many samples at the
 * dirty share the engine counted.
 */
function samplingLine(c: ComparisonResult): LineChart | undefined {
  const sized = c.scenarios.filter((s) => s.options.samplePages !== undefined);
  if (sized.length < 2) return undefined;
  const groups = [...new Set(sized.map((s) => s.group))];
  const series: Series[] = groups.flatMap((g, i) => {
    const inGroup = sized.filter((s) => s.group === g);
    return [
      { name: `${g}: page-sampling`, points: inGroup.flatMap(measuredPoint), colour: i },
      { name: `${g}: a binomial sample's median miss`, points: inGroup.flatMap(expectedPoint), style: 'fit' as const, colour: i },
    ];
  });
  const said = sized.flatMap((s) => measuredPoint(s).map((p) => `${s.options.samplePages} pages/GiB ${(p.y * 100).toFixed(1)}%`)).join(', ');
  return {
    kind: 'line', id: `${c.name}-sampling`, title: `${c.name}: page-sampling's error against its sample size`,
    x: { label: 'sampled pages per GiB (log scale)', scale: 'log2', format: 'count' },
    y: { label: "page-sampling |error| against the engine's count (%)", scale: 'linear', format: 'share' },
    series,
    verdict: `Median |error| of page-sampling (whiskers: lowest to highest measurement): ${said}. Dashed: 0.67 standard errors of a binomial share of that many pages at the dirty share the engine counted, which an unbiased sample matches.`,
  };
}

function measuredPoint(s: ScenarioResult): Point[] {
  const e = modeErrors(scenarioReports(s)).find((x) => x.mode === 'page-sampling')?.absErrorPercent;
  if (!e || e.samples === 0) return [];
  return [{ x: s.options.samplePages!, y: e.median / 100, ...(e.samples > 1 ? { lo: e.min / 100, hi: e.max / 100 } : {}) }];
}

function expectedPoint(s: ScenarioResult): Point[] {
  const reports = scenarioReports(s);
  const n = median(reports.flatMap((r) => r.modes.flatMap((m) => (m.sampled ? [m.sampled.pages] : []))));
  const share = median(reports.map((r) => r.truth.pages / r.guestPages));
  if (!(n > 0 && share > 0 && share < 1)) return [];
  return [{ x: s.options.samplePages!, y: MEDIAN_ABS_NORMAL * Math.sqrt((1 - share) / (n * share)) }];
}
