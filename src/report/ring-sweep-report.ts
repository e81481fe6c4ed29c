/** A ring-size sweep as a report section (charts with cache lines, timelines, a table), CSV rows and a text summary. */
import type { Summary } from '../bench/stats.ts';
import type { MetricKey } from '../experiments/metrics.ts';
import type { RingPoint, RingSweepResult, RingWorkloadResult } from '../experiments/ring-sweep.ts';
import type { Axis, LineChart, Marker } from './chart.ts';
import type { CsvCell } from './csv.ts';
import { formatTable } from './engine-table.ts';
import type { ReportSection, Table } from './html.ts';
import { formatValue } from './axis.ts';
import { timelineCharts } from './timeline.ts';

const RING_AXIS: Axis = { label: 'ring size (entries per vCPU, log scale)', scale: 'log2', format: 'entries' };

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
  return CHARTS.map((c) => ({
    kind: 'line',
    id: `ring-${c.key}`,
    title: c.title,
    x: RING_AXIS,
    y: c.y,
    series: r.workloads.map((w) => ({ name: w.label, points: w.points.flatMap((p) => { const v = cell(p, c.key); return v ? [{ x: p.ringEntries, ...v }] : []; }) })),
    markers,
    // Several workloads: the throughput chart says knee and best in a line each (the full sentences head the section).
    verdict: r.workloads.length > 1 && c.key === 'writesPerSecond'
      ? `${r.workloads.map((w) => `${w.label}: ${compact(w)}`).join('; ')}.`
      : [c.lead, ...r.workloads.map((w) => (r.workloads.length > 1 ? `${w.label}: ${c.verdict(w)}` : c.verdict(w)))].filter(Boolean).join(' '),
  }));
}

const pick = (w: RingWorkloadResult): RingPoint[] => {
  const best = w.points.find((p) => p.ringEntries === w.analysis.best?.entries);
  return [...new Set([w.points[0], best, w.points.at(-1)].filter((p): p is RingPoint => p !== undefined))];
};

export function ringSweepSection(r: RingSweepResult): ReportSection {
  const { beyond } = cacheMarkers(r);
  const m = r.method;
  const timelines = r.workloads.flatMap((w, i) => timelineCharts(`ring-w${i}`, w.label, pick(w).map((p) => ({
    name: `${p.ringEntries} entries`, iterations: p.outcome.trials[0]?.iterations ?? [],
  }))));
  return {
    id: 'ring-sweep',
    title: 'Ring size sweep',
    intro: `The ${m.strategy} strategy at ${m.sizes.join(', ')} entries per vCPU (${m.grid} grid), crossed with ${r.workloads.length} workload${r.workloads.length === 1 ? '' : 's'}; every point a threaded run of ${m.secondsPerTrial} s (iterations of ${m.intervalMs} ms), ${m.trials} trial${m.trials === 1 ? '' : 's'} each (median, whiskers from min to max), ${m.engine} engine, seed ${m.seed}. Dashed lines: where the rings of all vCPUs (entries × 16 B × vCPUs) fill each of this machine's caches (${r.caches.map((c) => c.label).join(', ') || 'unknown'}). Timelines: the first trial at the smallest, the best and the largest ring.`,
    verdicts: r.workloads.map((w) => `${w.label}: ${w.analysis.verdicts.throughput}`),
    charts: [...ringSweepCharts(r), ...timelines],
    tables: [ringTable(r)],
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
  const header = ['pattern', 'vcpus', 'write_rate', 'pml', 'memory_bytes', 'ring_entries', 'ring_bytes', 'trials', 'completed', ...METRIC_COLUMNS.flatMap((k) => ['median', 'min', 'max'].map((s) => `${snake(k)}_${s}`)), 'knee', 'best'];
  const rows = r.workloads.flatMap((w) => w.points.map((p) => {
    const s = p.outcome.summary;
    return [
      w.workload.pattern, w.workload.vcpus, w.workload.writeRate, w.workload.pml, w.workload.memoryBytes, p.ringEntries, p.ringBytes,
      p.outcome.trials.length, p.outcome.trials.filter((t) => t.kind === 'completed').length,
      ...METRIC_COLUMNS.flatMap((k) => [s[k].median, s[k].min, s[k].max]),
      w.analysis.knee.kind === 'knee' && w.analysis.knee.entries === p.ringEntries, w.analysis.best?.entries === p.ringEntries,
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
  return lines.join('\n');
}
