/**
 * A ring-size sweep as a report section (charts with cache lines, timelines, a table), CSV rows
 * and a text summary. With the kernel among its sides, the kernel, the model and the calibrated
 * model share every chart's axes (logarithmic where they differ by orders of magnitude), and
 * charts and a table of each model's error against the kernel follow.
 */
import type { Summary } from '../bench/stats.ts';
import type { MetricKey } from '../experiments/metrics.ts';
import { ERROR_METRICS, SIDE_LABELS, type ErrorMetric } from '../experiments/model-error.ts';
import type { RingPoint, RingSweepResult, RingWorkloadResult } from '../experiments/ring-sweep.ts';
import type { Axis, LineChart, Marker } from './chart.ts';
import type { CsvCell } from './csv.ts';
import { formatTable } from './engine-table.ts';
import type { ReportSection, Table } from './html.ts';
import { formatValue } from './axis.ts';
import { timelineCharts } from './timeline.ts';

const RING_AXIS: Axis = { label: 'ring size (entries per vCPU, log scale)', scale: 'log2', format: 'entries' };

/** Metrics whose kernel and model values lie orders of magnitude apart: a log axis when both are drawn. */
const SPANS_DECADES = new Set<MetricKey | 'perEntry'>(['writesPerSecond', 'fullExitsPerSecond', 'perEntry', 'dirtyPagesPerSecond', 'collectorMsPerSecond']);

const CHARTS: readonly { key: MetricKey | 'perEntry'; title: string; y: Axis; lead?: string; verdict: (w: RingWorkloadResult) => string }[] = [
  { key: 'writesPerSecond', title: 'Guest write throughput against ring size', y: { label: 'guest writes per second', scale: 'linear', format: 'count' }, verdict: (w) => w.analysis.verdicts.throughput },
  { key: 'stallShare', title: 'vCPU stall share against ring size', y: { label: 'vCPU time stalled on full rings (%)', scale: 'linear', format: 'share' }, verdict: (w) => w.analysis.verdicts.stall },
  { key: 'fullExitsPerSecond', title: 'Full exits per second against ring size', y: { label: 'full exits per second', scale: 'linear', format: 'count' }, verdict: (w) => w.analysis.verdicts.stall },
  { key: 'perEntry', title: 'Collector cost per entry (harvest + reset) against ring size', y: { label: 'harvest + reset per entry (time)', scale: 'linear', format: 'ms' }, verdict: (w) => w.analysis.verdicts.perEntry },
  { key: 'dirtyPagesPerSecond', title: 'Dirty pages logged per second against ring size', y: { label: 'dirty pages per second', scale: 'linear', format: 'count' }, lead: 'Ring entries harvested per second of running (one per page per re-arm).', verdict: (w) => `${span(w, 'dirtyPagesPerSecond', 'count')}.` },
  { key: 'collectorMsPerSecond', title: 'Collector CPU time against ring size', y: { label: 'collector CPU (ms per second of running)', scale: 'linear', format: 'count' }, lead: 'The collector thread\'s time on harvests, resets and syncs, in ms per second the vCPUs ran (1000 is a whole core).', verdict: (w) => `${span(w, 'collectorMsPerSecond', 'count')}.` },
];

/** "8.2 M at 256 entries to 1.1 M at 65536". */
function span(w: RingWorkloadResult, key: MetricKey, format: 'count' | 'share'): string {
  const [a, b] = [w.points[0], w.points.at(-1)];
  if (!a || !b) return 'no point finished';
  const v = (p: RingPoint) => formatValue(format, p.outcome.summary[key].median);
  return `${v(a)} at ${a.ringEntries} entries, ${v(b)} at ${b.ringEntries}`;
}

/** The value a chart draws for a point: median and range over the completed trials. */
function cell(p: RingPoint, key: MetricKey | 'perEntry'): { y: number; lo?: number; hi?: number } | undefined {
  const s = p.outcome.summary;
  if (key === 'perEntry') {
    // ns per entry, drawn in ms so the axis picks ns/µs per tick.
    const y = (s.harvestNsPerEntry.median + s.resetNsPerEntry.median) / 1e6;
    return Number.isFinite(y) && y > 0 ? { y } : undefined;
  }
  const m: Summary = s[key];
  if (!Number.isFinite(m.median)) return undefined;
  return m.samples > 1 ? { y: m.median, lo: m.min, hi: m.max } : { y: m.median };
}

/** Cache lines where the rings' bytes cross each cache, one set per vCPU count in the sweep. */
function cacheMarkers(r: RingSweepResult): { markers: Marker[]; beyond: string[] } {
  const counts = [...new Set(r.workloads.map((w) => w.workload.vcpus))];
  const markers: Marker[] = [];
  const beyond: string[] = [];
  for (const w of r.workloads.filter((x, i) => r.workloads.findIndex((y) => y.workload.vcpus === x.workload.vcpus) === i)) {
    const lo = Math.min(...w.points.map((p) => p.ringEntries));
    const hi = Math.max(...w.points.map((p) => p.ringEntries));
    for (const c of w.analysis.crossings) {
      const label = counts.length > 1 ? `${c.label} (${w.workload.vcpus} vCPUs)` : c.label;
      if (c.entries >= lo && c.entries <= hi) markers.push({ x: c.entries, label, kind: 'cache' });
      else beyond.push(`${label}: the rings of ${w.workload.vcpus} vCPU${w.workload.vcpus > 1 ? 's' : ''} fill it at ${Math.round(c.entries).toLocaleString('en-US')} entries, outside the sizes swept (${lo} to ${hi}).`);
    }
  }
  return { markers, beyond };
}

function compact(w: RingWorkloadResult): string {
  const k = w.analysis.knee;
  const knee = k.kind === 'knee' ? `knee at ${k.entries}${k.atCache ? ` (near ${k.atCache})` : ''}` : k.kind === 'rising' ? 'no knee yet' : k.kind;
  return `${knee}, best ${w.analysis.best?.entries ?? 'none'}`;
}

export function ringSweepCharts(r: RingSweepResult): LineChart[] {
  const { markers } = cacheMarkers(r);
  const sides = r.method.sides.length > 1;
  return CHARTS.map((c) => {
    const log = sides && SPANS_DECADES.has(c.key);
    // A log axis has no 0: say which points it leaves out rather than drop them silently.
    const zeros = log ? r.workloads.flatMap((w) => w.points.filter((p) => cell(p, c.key)?.y === 0).map((p) => `${w.label} at ${p.ringEntries}`)) : [];
    const lead = [c.lead, zeros.length ? `Log scale: the points at 0 are not drawn (${zeros.join('; ')}).` : undefined].filter(Boolean).join(' ') || undefined;
    return {
      kind: 'line',
      id: `ring-${c.key}`,
      title: c.title,
      x: RING_AXIS,
      y: log ? { ...c.y, label: `${c.y.label}, log scale`, scale: 'log10' } : c.y,
      series: r.workloads.map((w) => ({ name: w.label, points: w.points.flatMap((p) => { const v = cell(p, c.key); return v ? [{ x: p.ringEntries, ...v }] : []; }) })),
      markers,
      // Several workloads: the throughput chart says knee and best in a line each (the full sentences head the section).
      verdict: r.workloads.length > 1 && c.key === 'writesPerSecond'
        ? [lead, `${r.workloads.map((w) => `${w.label}: ${compact(w)}`).join('; ')}.`].filter(Boolean).join(' ')
        : [lead, ...r.workloads.map((w) => (r.workloads.length > 1 ? `${w.label}: ${c.verdict(w)}` : c.verdict(w)))].filter(Boolean).join(' '),
    };
  });
}

const pick = (w: RingWorkloadResult): RingPoint[] => {
  const best = w.points.find((p) => p.ringEntries === w.analysis.best?.entries);
  return [...new Set([w.points[0], best, w.points.at(-1)].filter((p): p is RingPoint => p !== undefined))];
};

const ERROR_TITLES: Readonly<Record<ErrorMetric, string>> = {
  writesPerSecond: 'guest writes per second', fullExitsPerSecond: 'full exits per second', stallShare: 'vCPU stall share',
};

/** Model ÷ kernel per ring size, one chart per metric: 1 is exact, 100 a hundred times too high. */
export function modelErrorCharts(r: RingSweepResult): LineChart[] {
  if (!r.errors.length) return [];
  return ERROR_METRICS.map((metric) => ({
    kind: 'line',
    id: `ring-error-${metric}`,
    title: `The models against the kernel: ${ERROR_TITLES[metric]}, model ÷ kernel`,
    x: RING_AXIS,
    y: { label: 'model ÷ kernel (log scale; 1 is exact)', scale: 'log10', format: 'count' },
    series: r.errors.map((e) => ({ name: `${e.workload} · ${SIDE_LABELS[e.side]}`, points: e.points.flatMap((p) => (Number.isFinite(p.error[metric]) && p.error[metric] > -1 ? [{ x: p.ringEntries, y: 1 + p.error[metric] }] : [])) })),
    verdict: r.errors.map((e) => `${e.workload} · ${SIDE_LABELS[e.side]}: median |error| ${errorText(e.medianAbsError[metric])}.`).join(' '),
  }));
}

const errorText = (e: number): string => (!Number.isFinite(e) ? 'n/a' : e >= 9 ? `${(1 + e).toFixed(0)}x` : `${(100 * e).toFixed(e < 0.1 ? 1 : 0)}%`);

function errorTable(r: RingSweepResult): Table[] {
  if (!r.errors.length) return [];
  const sizes = [...new Set(r.errors.flatMap((e) => e.points.map((p) => p.ringEntries)))].sort((a, b) => a - b);
  const signed = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(Math.abs(x) < 0.1 ? 1 : 0)}%`);
  return [{
    caption: 'Error against the kernel, (model - kernel) / kernel of the medians; last columns: median |error| over the sizes',
    header: ['workload', 'side', 'metric', ...sizes.map(String), 'median |error|', 'best size (kernel / side)'],
    rows: r.errors.flatMap((e) => ERROR_METRICS.map((metric) => [
      e.workload, SIDE_LABELS[e.side], ERROR_TITLES[metric],
      ...sizes.map((s) => signed(e.points.find((p) => p.ringEntries === s)?.error[metric])),
      errorText(e.medianAbsError[metric]), `${e.best.kernel ?? '-'} / ${e.best.side ?? '-'}`,
    ])),
  }];
}

function sidesText(r: RingSweepResult): string {
  const m = r.method;
  const costs = m.costs ? ` The calibrated model pays ${m.costs.faultCostNs} ns per logged page and ${m.costs.resetCostNs} ns per reset entry (${m.costs.source === 'measured' ? 'measured on this host before the sweep: real KVM less the engine' : 'as given'}).` : '';
  if (m.sides.includes('kernel')) return ` Every workload ran on the real kernel (/dev/kvm) and, on the same grid with the trials interleaved, on the model and on the calibrated model: the same axes, and the model's error against the kernel after the charts.${costs}`;
  return m.sides.includes('calibrated') ? ` The model ran calibrated.${costs}` : '';
}

export function ringSweepSection(r: RingSweepResult): ReportSection {
  const { beyond } = cacheMarkers(r);
  const m = r.method;
  const timelines = r.workloads.flatMap((w, i) => timelineCharts(`ring-w${i}`, w.label, pick(w).map((p) => ({
    name: `${p.ringEntries} entries`, iterations: p.outcome.trials[0]?.iterations ?? [],
  }))));
  return {
    id: 'ring-sweep',
    title: 'Ring size sweep',
    intro: `The ${m.strategy} strategy at ${m.sizes.join(', ')} entries per vCPU (${m.grid} grid), crossed with ${r.workloads.length} workload${r.workloads.length === 1 ? '' : 's'}; every point a threaded run of ${m.secondsPerTrial} s (iterations of ${m.intervalMs} ms), ${m.trials} trial${m.trials === 1 ? '' : 's'} each (median, whiskers from min to max), ${m.engine} engine, seed ${m.seed}. Dashed lines: where the rings of all vCPUs (entries × 16 B × vCPUs) fill each of this machine's caches (${r.caches.map((c) => c.label).join(', ') || 'unknown'}). Timelines: the first trial at the smallest, the best and the largest ring.${sidesText(r)}`,
    verdicts: [...r.errors.map((e) => e.verdict), ...r.workloads.map((w) => `${w.label}: ${w.analysis.verdicts.throughput}`)],
    charts: [...ringSweepCharts(r), ...modelErrorCharts(r), ...timelines],
    tables: [ringTable(r), ...errorTable(r)],
    notes: [...beyond, `Knee: ${m.knee}. Best: ${m.best}. Order: ${m.order}.`],
  };
}

const fmt = (p: RingPoint, k: MetricKey, format: 'count' | 'share' | 'ms', scale = 1) => {
  const s = p.outcome.summary[k];
  if (!Number.isFinite(s.median)) return '-';
  const v = (x: number) => formatValue(format, x * scale);
  return s.samples > 1 ? `${v(s.median)} (${v(s.min)}–${v(s.max)})` : v(s.median);
};

const HEADER = ['workload', 'ring', 'rings (bytes)', 'trials', 'writes/s', 'dirty pages/s', 'full exits/s', 'vCPU stall', 'harvest/entry', 'reset/entry', 'collector ms/s'];

function ringRows(w: RingWorkloadResult): string[][] {
  return w.points.map((p) => [
    w.label, String(p.ringEntries), formatValue('bytes', p.ringBytes), `${p.outcome.trials.filter((t) => t.kind === 'completed').length}/${p.outcome.trials.length}`,
    fmt(p, 'writesPerSecond', 'count'), fmt(p, 'dirtyPagesPerSecond', 'count'), fmt(p, 'fullExitsPerSecond', 'count'), fmt(p, 'stallShare', 'share'),
    fmt(p, 'harvestNsPerEntry', 'ms', 1e-6), fmt(p, 'resetNsPerEntry', 'ms', 1e-6), fmt(p, 'collectorMsPerSecond', 'count'),
  ]);
}

function ringTable(r: RingSweepResult): Table {
  return { caption: 'Every point: median (min–max over the completed trials)', header: HEADER, rows: r.workloads.flatMap(ringRows) };
}

const METRIC_COLUMNS: readonly MetricKey[] = ['writesPerSecond', 'dirtyPagesPerSecond', 'fullExitsPerSecond', 'stallShare', 'harvestNsPerEntry', 'resetNsPerEntry', 'collectorMsPerSecond', 'collectorMsPerIteration'];
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function ringSweepCsv(r: RingSweepResult): { header: string[]; rows: CsvCell[][] } {
  const header = ['pattern', 'vcpus', 'write_rate', 'pml', 'memory_bytes', 'ring_entries', 'ring_bytes', 'trials', 'completed', ...METRIC_COLUMNS.flatMap((k) => ['median', 'min', 'max'].map((s) => `${snake(k)}_${s}`)), 'knee', 'best', 'side'];
  const rows = r.workloads.flatMap((w) => w.points.map((p) => {
    const s = p.outcome.summary;
    return [
      w.workload.pattern, w.workload.vcpus, w.workload.writeRate, w.workload.pml, w.workload.memoryBytes, p.ringEntries, p.ringBytes,
      p.outcome.trials.length, p.outcome.trials.filter((t) => t.kind === 'completed').length,
      ...METRIC_COLUMNS.flatMap((k) => [s[k].median, s[k].min, s[k].max]),
      w.analysis.knee.kind === 'knee' && w.analysis.knee.entries === p.ringEntries, w.analysis.best?.entries === p.ringEntries, w.workload.side,
    ];
  }));
  return { header, rows };
}

export function ringSweepText(r: RingSweepResult): string {
  const lines = [`dirtylog sweep ring: ${r.method.sizes.join(', ')} entries, ${r.method.trials} trial${r.method.trials === 1 ? '' : 's'} of ${r.method.secondsPerTrial} s; caches ${r.caches.map((c) => c.label).join(', ') || 'unknown'}`, ''];
  for (const w of r.workloads) {
    lines.push(formatTable(HEADER.slice(1), ringRows(w).map((row) => row.slice(1))).replace(/^/, `${w.label}\n`), '');
    lines.push(`  ${w.analysis.verdicts.throughput}`, `  ${w.analysis.verdicts.stall}`, `  ${w.analysis.verdicts.perEntry}`, '');
  }
  if (r.method.costs) lines.push(`calibrated model: faultCostNs ${r.method.costs.faultCostNs}, resetCostNs ${r.method.costs.resetCostNs} (${r.method.costs.source})`, '');
  for (const e of r.errors) lines.push(e.verdict);
  if (r.errors.length) lines.push('');
  return lines.join('\n');
}
