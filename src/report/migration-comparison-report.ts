/** A migration comparison as a report section (bars per measure, a timeline per group, a table), CSV rows and text. */
import type { MigrationComparisonResult, MigrationScenarioResult } from '../experiments/migration-comparison.ts';
import type { Summary } from '../bench/stats.ts';
import { formatValue } from './axis.ts';
import type { Axis, BarChart, LineChart, Point } from './chart.ts';
import type { CsvCell } from './csv.ts';
import { comparisonGroupsText } from './engine-table.ts';
import type { ReportSection, Table } from './html.ts';

type Measure = 'totalMs' | 'downtimeMs' | 'rounds' | 'transferred';
const BARS: readonly { key: Measure; title: string; y: Axis }[] = [
  { key: 'totalMs', title: 'Total migration time', y: { label: 'total time (connect to proof)', scale: 'linear', format: 'ms' } },
  { key: 'downtimeMs', title: 'Downtime', y: { label: 'guest paused (stop-and-copy to resume)', scale: 'linear', format: 'ms' } },
  { key: 'rounds', title: 'Rounds to convergence', y: { label: 'rounds (the first full pass is round 1)', scale: 'linear', format: 'count' } },
  { key: 'transferred', title: 'Bytes transferred', y: { label: 'bytes sent (pages and records)', scale: 'linear', format: 'bytes' } },
];

const groupsOf = (c: MigrationComparisonResult) => [...new Set(c.scenarios.map((s) => s.group))];
/** Scenarios with something to draw: one that never migrated has no total time or downtime, and is said in the verdict and table. */
const namesOf = (c: MigrationComparisonResult) => [...new Set(c.scenarios.filter((s) => s.summary.migrated > 0).map((s) => s.name))];

function bar(s: Summary | undefined): Point | undefined {
  if (!s || !Number.isFinite(s.median)) return undefined;
  return s.samples > 1 ? { x: 0, y: s.median, lo: s.min, hi: s.max } : { x: 0, y: s.median };
}

export function migrationComparisonCharts(c: MigrationComparisonResult): (BarChart | LineChart)[] {
  const groups = groupsOf(c);
  const verdicts = c.verdicts.map((v) => (groups.length > 1 ? `${v.group}: ` : '') + (v.winner ? `${v.winner} wins: ${v.reason}` : v.reason)).join(' ');
  const bars = BARS.map((b, i): BarChart => ({
    kind: 'bar', id: `${c.name}-${b.key}`, title: `${c.name}: ${b.title}`, categories: groups, categoryLabel: 'workload', y: b.y,
    series: namesOf(c).map((name) => ({ name, values: groups.map((g) => bar(c.scenarios.find((s) => s.group === g && s.name === name)?.summary[b.key])) })),
    verdict: i === 0 ? verdicts : `${b.title}, median over the trials that migrated: ${c.scenarios.map((s) => `${groups.length > 1 ? `${s.group} · ` : ''}${s.name} ${Number.isFinite(s.summary[b.key].median) ? formatValue(b.y.format, s.summary[b.key].median) : 'did not migrate'}`).join('; ')}.`,
  }));
  const timelines = groups.map((g, i): LineChart => {
    const runs = c.scenarios.filter((s) => s.group === g);
    return {
      kind: 'line', id: `${c.name}-g${i}-remaining`, title: `${g}: remaining after each round (first trial)`,
      x: { label: 'round', scale: 'linear', format: 'iteration', zero: false }, y: { label: 'dirty bytes left after the round\'s sync', scale: 'linear', format: 'bytes' },
      series: runs.map((s) => ({ name: s.name, points: (s.trials[0]?.roundStats ?? []).map((r) => ({ x: r.round, y: r.remaining })) })),
      verdict: `What each scenario still had to send after each round: ${runs.map((s) => `${s.name} ${s.trials[0]?.migrated ? `converged after ${s.trials[0].rounds} round${s.trials[0].rounds === 1 ? '' : 's'}` : 'did not converge'}`).join('; ')}.`,
      size: 'small',
    };
  });
  return [...bars, ...timelines];
}

const HEADER = ['workload', 'scenario', 'migrated', 'total time', 'downtime', 'rounds', 'transferred', 'why not'];

function rows(c: MigrationComparisonResult): string[][] {
  const f = (s: Summary, format: 'ms' | 'count' | 'bytes') => (Number.isFinite(s.median) ? formatValue(format, s.median) : '-');
  return c.scenarios.map((s: MigrationScenarioResult) => [
    s.group, s.name, `${s.summary.migrated}/${s.trials.length}`, f(s.summary.totalMs, 'ms'), f(s.summary.downtimeMs, 'ms'), f(s.summary.rounds, 'count'), f(s.summary.transferred, 'bytes'),
    shorten(s.trials.find((t) => !t.migrated)?.verdict.replace(/^failed in phase \w+ after \d+ bytes: /, '') ?? ''),
  ]);
}

/** The reason up to its first clause, at most 100 characters, cut on a word. */
function shorten(text: string): string {
  const first = text.split(/[;:] (?=try|the guest|raise)/)[0]!;
  return first.length <= 100 ? first : `${first.slice(0, first.lastIndexOf(' ', 100))} …`;
}

export function migrationComparisonSection(c: MigrationComparisonResult): ReportSection {
  const table: Table = { caption: 'Every scenario: medians over the trials that migrated', header: HEADER, rows: rows(c) };
  return {
    id: `compare-${c.name}`, title: `Comparison: ${c.name}`,
    intro: `${c.summary}. ${c.scenarios.length} scenarios, ${c.method.trials} trial${c.method.trials === 1 ? '' : 's'} each (median; whiskers min to max). Won: ${c.method.won}.`,
    verdicts: c.verdicts.map((v) => `${v.group}: ${v.winner ? `${v.winner} wins. ${v.reason}` : v.reason}`),
    charts: migrationComparisonCharts(c), tables: [table],
  };
}

export function migrationComparisonCsv(c: MigrationComparisonResult): { header: string[]; rows: CsvCell[][] } {
  const keys: Measure[] = ['totalMs', 'downtimeMs', 'rounds', 'transferred'];
  return {
    header: ['comparison', 'group', 'scenario', 'strategy', 'trials', 'migrated', ...keys.flatMap((k) => ['median', 'min', 'max'].map((s) => `${k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`)}_${s}`)), 'winner'],
    rows: c.scenarios.map((s) => [
      c.name, s.group, s.name, s.vm.strategy, s.trials.length, s.summary.migrated,
      ...keys.flatMap((k) => [s.summary[k].median, s.summary[k].min, s.summary[k].max]), c.verdicts.find((v) => v.group === s.group)?.winner === s.name,
    ]),
  };
}

export function migrationComparisonText(c: MigrationComparisonResult): string {
  return comparisonGroupsText(c, HEADER, rows(c));
}
