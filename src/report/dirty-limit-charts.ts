/**
 * The charts of `dirtylog compare dirty-limit`: each vCPU's dirty rate iteration by iteration
 * under each limit (the limits dashed), and the share of its running time the limit held it.
 */
import type { ComparisonResult } from '../experiments/comparison.ts';
import { scenarioConvergence } from '../experiments/dirty-limit.ts';
import type { IterationReport } from '../run/result.ts';
import type { LineChart, Series } from './chart.ts';

/** Running time at the end of each iteration, in ms. */
function endTimes(its: readonly IterationReport[]): number[] {
  let t = 0;
  return its.map((it) => (t += it.runningMs));
}

const meanRate = (it: IterationReport) => it.vcpus.reduce((a, v) => a + (v.dirtyRate ?? 0), 0) / Math.max(1, it.vcpus.length);
const heldShare = (it: IterationReport) => it.vcpus.reduce((a, v) => a + v.throttleMs, 0) / Math.max(1e-9, it.vcpus.length * it.runningMs);

export function dirtyLimitCharts(c: ComparisonResult): LineChart[] {
  const groups = [...new Set(c.scenarios.map((s) => s.group))];
  return groups.flatMap((g, gi) => groupCharts(c, g, groups.length > 1 ? `${c.name}-g${gi}` : c.name));
}

/** The rate and hold charts of one guest's scenarios. */
function groupCharts(c: ComparisonResult, group: string, id: string): LineChart[] {
  const runs = c.scenarios.map((s, i) => ({ s, i, its: s.outcome.trials[0]?.iterations ?? [] })).filter((r) => r.s.group === group && r.its.length > 0);
  const rate: Series[] = runs.flatMap(({ s, i, its }) => {
    const t = endTimes(its);
    const line: Series = { name: s.name, colour: i, points: its.map((it, k) => ({ x: t[k]!, y: meanRate(it) })) };
    const limit = s.options.dirtyLimit;
    return limit ? [line, { name: `limit ${s.name}`, colour: i, style: 'fit' as const, points: [{ x: t[0]!, y: limit }, { x: t.at(-1)!, y: limit }] }] : [line];
  });
  const limited = runs.filter((r) => r.s.options.dirtyLimit);
  const held: Series[] = limited.map(({ s, i, its }) => {
    const t = endTimes(its);
    return { name: s.name, colour: i, points: its.map((it, k) => ({ x: t[k]!, y: heldShare(it) })) };
  });
  const settled = limited.map(({ s }) => {
    const first = scenarioConvergence(s)[0];
    return first?.convergedAtMs == null ? `${s.name} had not settled by the end` : `${s.name} settled after ${(first.convergedAtMs / 1000).toFixed(2)} s`;
  });
  const charts: LineChart[] = [];
  if (rate.length) {
    charts.push({
      kind: 'line', id: `${id}-rate`, title: `${group}: each vCPU's dirty rate under each limit`,
      x: { label: 'running time', scale: 'linear', format: 'ms' },
      y: { label: 'dirty pages per second per vCPU (log scale)', scale: 'log10', format: 'count' },
      series: rate,
      verdict: `Dirty pages per second per vCPU in each iteration (mean of the vCPUs, first trial); dashed, the limits. Settled within 10% (3 windows of 3 iterations in a row): ${settled.join('; ') || 'no limited scenario'}.`,
    });
  }
  if (held.length) {
    charts.push({
      kind: 'line', id: `${id}-held`, title: `${group}: share of running time the limit held the vCPUs`,
      x: { label: 'running time', scale: 'linear', format: 'ms' },
      y: { label: 'vCPU time held after full exits (%)', scale: 'linear', format: 'share' },
      series: held,
      verdict: 'The time the vCPUs spent held after their ring-full exits, per iteration, as a share of their running time: the lower the limit, the longer each hold (QEMU\'s throttle_us_per_full).',
    });
  }
  return charts;
}
