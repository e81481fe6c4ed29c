/**
 * Per-iteration timelines: what each iteration of a run saw (dirty pages, full exits, vCPU
 * stall, sync time), one small chart per quantity, one line per run. Any experiment that keeps
 * its runs' iteration reports can add them.
 */
import type { IterationReport } from '../run/run.ts';
import type { Axis, LineChart } from './chart.ts';

export interface TimelineRun {
  readonly name: string;
  readonly iterations: readonly IterationReport[];
}

const ITERATION: Axis = { label: 'iteration', scale: 'linear', format: 'iteration', zero: false };

const QUANTITIES: readonly { key: string; title: string; y: Axis; value: (r: IterationReport) => number; what: string }[] = [
  { key: 'dirty', title: 'dirty pages per iteration', y: { label: 'dirty pages (distinct)', scale: 'linear', format: 'count' }, value: (r) => r.dirty, what: 'distinct pages reported dirty' },
  { key: 'exits', title: 'full exits per iteration', y: { label: 'full exits (count)', scale: 'linear', format: 'count' }, value: (r) => r.fullExits, what: 'ring-full exits' },
  { key: 'stall', title: 'vCPU stall per iteration', y: { label: 'stall, all vCPUs (time)', scale: 'linear', format: 'ms' }, value: (r) => r.stallMs, what: 'time the vCPUs waited on full rings' },
  { key: 'sync', title: 'sync time per iteration', y: { label: 'both syncs (time)', scale: 'linear', format: 'ms' }, value: (r) => r.syncMs[0] + r.syncMs[1], what: 'wall time of the two syncs (while running and after the pause)' },
];

export function timelineCharts(id: string, heading: string, runs: readonly TimelineRun[]): LineChart[] {
  return QUANTITIES.map((q) => {
    const series = runs.map((r) => ({ name: r.name, points: r.iterations.map((it) => ({ x: it.iteration, y: q.value(it) })) }));
    const totals = runs.map((r) => `${r.name} ${summarise(r.iterations.map(q.value), q.y.format === 'ms')}`);
    return {
      kind: 'line', id: `${id}-timeline-${q.key}`, title: `${heading}: ${q.title}`, x: ITERATION, y: q.y, series, size: 'small',
      verdict: `Per iteration, ${q.what}: ${totals.join('; ')}.`,
    };
  });
}

function summarise(values: readonly number[], isMs: boolean): string {
  if (!values.length) return 'no iteration';
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return isMs ? `mean ${mean >= 1 ? `${mean.toFixed(1)} ms` : `${(mean * 1000).toFixed(0)} µs`}` : `mean ${Math.round(mean).toLocaleString('en-US')}`;
}
