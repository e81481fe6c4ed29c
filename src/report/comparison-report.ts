/** A comparison as a report section (grouped bars per metric, timelines per group, a table), CSV rows and a text summary. */
import type { ComparisonResult, ScenarioResult } from '../experiments/comparison.ts';
import type { MetricKey } from '../experiments/metrics.ts';
import { formatValue } from './axis.ts';
import type { Axis, BarChart, Chart, Point } from './chart.ts';
import type { CsvCell } from './csv.ts';
import { dirtyLimitCharts } from './dirty-limit-charts.ts';
import { dirtyRateCharts } from './dirty-rate-charts.ts';
import { comparisonGroupsText } from './engine-table.ts';
import type { ReportSection, Table } from './html.ts';
import { timelineCharts } from './timeline.ts';

const BARS: readonly { key: MetricKey; title: string; y: Axis }[] = [
  { key: 'writesPerSecond', title: 'Guest write throughput', y: { label: 'guest writes per second', scale: 'linear', format: 'count' } },
  { key: 'collectorMsPerIteration', title: 'Collector time per iteration', y: { label: 'collector time per iteration', scale: 'linear', format: 'ms' } },
  { key: 'stallShare', title: 'vCPU stall share', y: { label: 'vCPU time stalled on full rings (%)', scale: 'linear', format: 'share' } },
  { key: 'fullExitsPerSecond', title: 'Full exits per second', y: { label: 'full exits per second', scale: 'linear', format: 'count' } },
  { key: 'dirtyPagesPerSecond', title: 'Dirty pages logged per second', y: { label: 'dirty pages per second', scale: 'linear', format: 'count' } },
];

const groupsOf = (c: ComparisonResult) => [...new Set(c.scenarios.map((s) => s.group))];
const namesOf = (c: ComparisonResult) => [...new Set(c.scenarios.map((s) => s.name))];

function value(s: ScenarioResult | undefined, key: MetricKey): Point | undefined {
  const m = s?.outcome.summary[key];
  if (!m || !Number.isFinite(m.median)) return undefined;
  return m.samples > 1 ? { x: 0, y: m.median, lo: m.min, hi: m.max } : { x: 0, y: m.median };
}

/**
 * Bars share one axis across workloads; when the workloads' values lie more than 30x apart (a
 * dense 64 MiB guest next to a rate-capped sparse one) the axis goes logarithmic, or the small
 * ones would not show at all.
 */
function axisFor(b: (typeof BARS)[number], values: readonly number[]): Axis {
  const pos = values.filter((v) => v > 0);
  const wide = pos.length > 1 && Math.max(...pos) / Math.min(...pos) > 30 && b.y.format !== 'share';
  return wide ? { ...b.y, label: `${b.y.label} (log scale)`, scale: 'log10' } : b.y;
}

export function comparisonCharts(c: ComparisonResult): BarChart[] {
  const groups = groupsOf(c);
  const winners = c.verdicts.map((v) => (groups.length > 1 ? `${v.group}: ` : '') + (v.winner ? `${v.winner} wins: ${v.reason}` : v.reason)).join(' ');
  return BARS.map((b, i) => {
    const series = namesOf(c).map((name) => ({ name, values: groups.map((g) => value(c.scenarios.find((s) => s.group === g && s.name === name), b.key)) }));
    const values = series.flatMap((s) => s.values.flatMap((v) => (v ? [v.y] : [])));
    const listed = groups.map((g) => `${groups.length > 1 ? `${g}: ` : ''}${c.scenarios.filter((s) => s.group === g).map((s) => `${s.name} ${formatValue(b.y.format, s.outcome.summary[b.key].median)}`).join(', ')}`).join('; ');
    return {
      kind: 'bar' as const, id: `${c.name}-${b.key}`, title: `${c.name}: ${b.title}`, categories: groups, categoryLabel: 'workload', y: axisFor(b, values), series,
      // The verdict decides on throughput (then collector cost): it goes under the throughput chart.
      verdict: i === 0 ? winners : `${b.title}, median over the trials: ${listed}.`,
    };
  });
}

/**
 * Charts a named comparison adds to the standard bars and timelines, by its name: a comparison
 * whose question needs its own picture (a rate converging to a limit, an error against the
 * truth) puts a function here; the section draws them first, since they answer its question.
 */
export const COMPARISON_CHARTS: Readonly<Record<string, (c: ComparisonResult) => readonly Chart[]>> = {
  'dirty-rate-modes': dirtyRateCharts,
  'dirty-limit': dirtyLimitCharts,
};

export function comparisonSection(c: ComparisonResult): ReportSection {
  const timelines = groupsOf(c).flatMap((g, i) => timelineCharts(`${c.name}-g${i}`, g, c.scenarios.filter((s) => s.group === g).map((s) => ({ name: s.name, iterations: s.outcome.trials[0]?.iterations ?? [] }))));
  return {
    id: `compare-${c.name}`,
    title: `Comparison: ${c.name}`,
    intro: `${c.summary}. ${c.scenarios.length} scenario${c.scenarios.length === 1 ? '' : 's'}, ${c.method.trials} trial${c.method.trials === 1 ? '' : 's'} each (median; whiskers min to max). Won: ${c.method.won}. Timelines: each scenario's first trial.`,
    verdicts: c.verdicts.map((v) => `${v.group}: ${v.winner ? `${v.winner} wins. ${v.reason}` : v.reason}`),
    charts: [...(Object.hasOwn(COMPARISON_CHARTS, c.name) ? COMPARISON_CHARTS[c.name]!(c) : []), ...comparisonCharts(c), ...timelines],
    tables: [comparisonTable(c)],
  };
}

const HEADER = ['workload', 'scenario', 'trials', 'writes/s', 'collector/iter', 'vCPU stall', 'full exits/s', 'dirty pages/s', 'verified'];

function rows(c: ComparisonResult): string[][] {
  const f = (s: ScenarioResult, k: MetricKey, format: 'count' | 'share' | 'ms') => {
    const m = s.outcome.summary[k];
    return Number.isFinite(m.median) ? formatValue(format, m.median) : '-';
  };
  return c.scenarios.map((s) => {
    const v = [...new Set(s.outcome.trials.map((t) => (t.kind === 'failed' ? `failed: ${t.error ?? ''}` : t.verification === 'off' ? 'tracking only' : t.verification)))].join(', ');
    return [s.group, s.name, `${s.outcome.trials.filter((t) => t.kind === 'completed').length}/${s.outcome.trials.length}`, f(s, 'writesPerSecond', 'count'), f(s, 'collectorMsPerIteration', 'ms'), f(s, 'stallShare', 'share'), f(s, 'fullExitsPerSecond', 'count'), f(s, 'dirtyPagesPerSecond', 'count'), v];
  });
}

function comparisonTable(c: ComparisonResult): Table {
  return { caption: 'Every scenario: medians over the completed trials', header: HEADER, rows: rows(c) };
}

const COLUMNS: readonly MetricKey[] = ['writesPerSecond', 'dirtyPagesPerSecond', 'fullExitsPerSecond', 'stallShare', 'harvestNsPerEntry', 'resetNsPerEntry', 'collectorMsPerSecond', 'collectorMsPerIteration'];
const snake = (k: string) => k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

export function comparisonCsv(c: ComparisonResult): { header: string[]; rows: CsvCell[][] } {
  const header = ['comparison', 'group', 'scenario', 'strategy', 'trials', 'completed', ...COLUMNS.flatMap((k) => ['median', 'min', 'max'].map((s) => `${snake(k)}_${s}`)), 'winner'];
  return {
    header,
    rows: c.scenarios.map((s) => [
      c.name, s.group, s.name, s.options.strategy, s.outcome.trials.length, s.outcome.trials.filter((t) => t.kind === 'completed').length,
      ...COLUMNS.flatMap((k) => [s.outcome.summary[k].median, s.outcome.summary[k].min, s.outcome.summary[k].max]),
      c.verdicts.find((v) => v.group === s.group)?.winner === s.name,
    ]),
  };
}

export function comparisonText(c: ComparisonResult): string {
  return comparisonGroupsText(c, HEADER, rows(c));
}
