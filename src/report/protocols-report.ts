/** `compare protocols` as report sections (a verdict, then kernels, transfer, sweep, cache lines, security), CSV rows and text. */
import type { Summary } from '../bench/stats.ts';
import { LINE_KIND_INFO, LINE_KINDS, type LineCount } from '../experiments/cache-lines.ts';
import type { ProtocolComparisonResult, SweepPoint } from '../experiments/protocols.ts';
import { formatValue } from './axis.ts';
import type { Axis, BarChart, LineChart, Point } from './chart.ts';
import type { CsvCell } from './csv.ts';
import { formatTable } from './engine-table.ts';
import type { ReportSection, Table } from './html.ts';

type Result = ProtocolComparisonResult;

const RING_AXIS: Axis = { label: 'ring size (entries per vCPU, log scale)', scale: 'log2', format: 'entries' };
const PER_ENTRY_AXIS: Axis = { label: 'time per entry', scale: 'linear', format: 'ms' };
const LINES_AXIS: Axis = { label: 'line transfers between the cores per entry', scale: 'linear', format: 'count' };

/** A summary as a chart point; `scale` turns the unit into the axis's (ns to ms for durations). */
const point = (x: number, s: Summary, scale = 1): Point => (s.samples > 1 ? { x, y: s.median * scale, lo: s.min * scale, hi: s.max * scale } : { x, y: s.median * scale });
const cell = (s: Summary, f: (x: number) => string): string => (Number.isFinite(s.median) ? (s.samples > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median)) : '-');
const nsCell = (s: Summary) => cell(s, (x) => formatValue('ms', x * 1e-6));
const perEntry = (p: SweepPoint): Summary => {
  const [h, r] = [p.outcome.summary.harvestNsPerEntry, p.outcome.summary.resetNsPerEntry];
  return { median: h.median + r.median, mad: h.mad + r.mad, min: h.min + r.min, max: h.max + r.max, samples: Math.min(h.samples, r.samples) };
};

export function kernelChart(r: Result): BarChart {
  const kernels = [...new Set(r.kernels.map((k) => k.kernel))];
  return {
    kind: 'bar', id: 'protocols-kernels', title: 'Push, harvest and reset per entry, one thread', categories: kernels, categoryLabel: 'kernel (one ring of 65,472 entries per call)',
    y: PER_ENTRY_AXIS,
    series: r.method.protocols.map((p) => ({ name: p, values: kernels.map((k) => { const row = r.kernels.find((x) => x.kernel === k && x.protocol === p); return row && point(0, row.nsPerEntry, 1e-6); }) })),
    verdict: r.verdicts.kernels.join(' '),
  };
}

export function transferChart(r: Result): LineChart {
  return {
    kind: 'line', id: 'protocols-transfer', title: 'Two threads: entries moved per second', x: RING_AXIS,
    y: { label: 'ring entries pushed, harvested and reset per second', scale: 'linear', format: 'count' },
    series: r.method.protocols.map((p) => ({ name: p, points: r.transfer.filter((t) => t.protocol === p).map((t) => point(t.ringEntries, t.mEntriesPerSecond, 1e6)) })),
    verdict: r.verdicts.transfer.join(' '),
  };
}

export function sweepCharts(r: Result): LineChart[] {
  const series = (f: (p: SweepPoint) => Point | undefined) => r.method.protocols.map((p) => ({
    name: p, points: r.sweep.filter((s) => s.protocol === p).flatMap((s) => { const v = f(s); return v && Number.isFinite(v.y) ? [v] : []; }),
  }));
  return [
    {
      kind: 'line', id: 'protocols-sweep-writes', title: 'Guest write throughput against ring size, per protocol', x: RING_AXIS,
      y: { label: 'guest writes per second', scale: 'linear', format: 'count' },
      series: series((s) => point(s.ringEntries, s.outcome.summary.writesPerSecond)),
      verdict: r.verdicts.sweep[0] ?? 'No point finished.',
    },
    {
      kind: 'line', id: 'protocols-sweep-per-entry', title: 'Collector time per entry (harvest + reset) against ring size, per protocol', x: RING_AXIS,
      y: { label: 'harvest + reset per entry (time)', scale: 'linear', format: 'ms' },
      series: series((s) => point(s.ringEntries, perEntry(s), 1e-6)),
      verdict: r.verdicts.sweep[1] ?? 'No point finished.',
    },
  ];
}

export function lineCharts(r: Result): (LineChart | BarChart)[] {
  const x: Axis = { label: 'pushes between two looks of the collector (log scale)', scale: 'log2', format: 'count' };
  const over = (set: readonly LineCount[]) => r.method.protocols.map((p) => ({ name: p, points: set.filter((c) => c.protocol === p).map((c) => ({ x: c.lookEvery, y: c.totalPerEntry })) }));
  const measured = r.lines.measured.filter((m) => m.ringEntries === r.method.lines.ringEntries);
  const charts: (LineChart | BarChart)[] = [
    {
      kind: 'line', id: 'protocols-lines-batch', title: `Cache-line transfers per entry, the collector's batches (${r.method.lines.batch} entries, ${r.method.lines.ringEntries}-entry ring), in the model`, x, y: LINES_AXIS,
      series: over(r.lines.batch),
      markers: measured.map((m) => ({ x: m.pushesPerLook, label: `${m.protocol}: measured`, kind: 'crossover' as const })),
      verdict: `${r.verdicts.lines.slice(0, 3).join(' ')}${measured.length ? ' Vertical lines: the look interval the transfer measured at this ring size.' : ''}`,
    },
    {
      kind: 'line', id: 'protocols-lines-chase', title: 'Cache-line transfers per entry, a poller that chases the producer (batch 1), in the model', x, y: LINES_AXIS,
      series: over(r.lines.chase),
      verdict: `Reaping whatever is there at every look costs every protocol more than batches do: the consumer line (reset_index, which the producer reads at every push) and the armed bitmap move at every reap. ${r.verdicts.lines[3] ?? ''}`,
    },
  ];
  if (measured.length) {
    charts.push({
      kind: 'bar', id: 'protocols-lines-by-kind', title: `Where the lines move, at the look rate measured with a ${r.method.lines.ringEntries}-entry ring, in the model`,
      categories: [...LINE_KINDS], categoryLabel: 'line', y: LINES_AXIS,
      series: measured.map((m) => ({ name: `${m.protocol} (a look per ${m.pushesPerLook.toFixed(0)} pushes)`, values: LINE_KINDS.map((k) => ({ x: 0, y: m.model.perEntry[k] })) })),
      verdict: measured.map((m) => `${m.protocol}: ${m.model.totalPerEntry.toFixed(2)} per entry, ${LINE_KINDS.map((k) => `${k} ${m.model.perEntry[k].toFixed(3)}`).join(', ')}.`).join(' '),
    });
  }
  return charts;
}

function kernelTable(r: Result): Table {
  const kernels = [...new Set(r.kernels.map((k) => k.kernel))];
  return {
    caption: `Per entry, one thread: median (min–max) of ${r.method.kernels.rounds} rounds' medians`,
    header: ['kernel', ...r.method.protocols],
    rows: kernels.map((k) => [k, ...r.method.protocols.map((p) => { const row = r.kernels.find((x) => x.kernel === k && x.protocol === p); return row ? nsCell(row.nsPerEntry) : '-'; })]),
  };
}

const TRANSFER_HEADER = ['ring', 'protocol', 'M entries/s', 'full exits/s', 'vCPU stall', 'stall per exit', 'pushes per look'];
function transferRows(r: Result): string[][] {
  return r.transfer.map((t) => [
    String(t.ringEntries), t.protocol, cell(t.mEntriesPerSecond, (x) => x.toFixed(1)), formatValue('count', t.fullExitsPerSecond.median),
    formatValue('share', t.stallShare.median), `${t.stallPerExitUs.median.toFixed(1)} µs`, t.looksPerEntry.median > 0 ? (1 / t.looksPerEntry.median).toFixed(1) : '-',
  ]);
}

const SWEEP_HEADER = ['ring', 'protocol', 'trials', 'writes/s', 'full exits/s', 'vCPU stall', 'harvest/entry', 'reset/entry'];
function sweepRows(r: Result): string[][] {
  return r.sweep.map((p) => {
    const s = p.outcome.summary;
    return [
      String(p.ringEntries), p.protocol, `${p.outcome.trials.filter((t) => t.kind === 'completed').length}/${p.outcome.trials.length}`,
      cell(s.writesPerSecond, (x) => formatValue('count', x)), formatValue('count', s.fullExitsPerSecond.median), formatValue('share', s.stallShare.median),
      nsCell(s.harvestNsPerEntry), nsCell(s.resetNsPerEntry),
    ];
  });
}

const LINES_HEADER = ['schedule', 'pushes per look', 'protocol', 'total per entry', ...LINE_KINDS];
function lineRows(r: Result): string[][] {
  const row = (schedule: string, c: LineCount) => [schedule, String(c.lookEvery), c.protocol, c.totalPerEntry.toFixed(3), ...LINE_KINDS.map((k) => c.perEntry[k].toFixed(3))];
  return [...r.lines.batch.map((c) => row(`batch ${c.batch}`, c)), ...r.lines.chase.map((c) => row('chase', c))];
}

export function protocolSections(r: Result): ReportSection[] {
  const m = r.method;
  return [
    {
      id: 'protocols-summary',
      title: 'Ring protocols: per-entry flags against shared indices',
      intro: `KVM's per-entry flags (DIRTY and RESET in each entry) against the RFC's shared avail_index and fetch_index (v1–v3, 2019), in one cache line (indices) and 64 bytes apart (indices-apart), on the ${m.engine} engine (${m.grid} grid). Every timed part interleaves the protocols trial by trial; won means ${m.won}. The machine's 1-minute load average was ${m.loadAverage.start.toFixed(1)} as it started and ${m.loadAverage.end.toFixed(1)} as it ended, on ${m.loadAverage.cpus} CPUs.`,
      verdicts: r.verdicts.summary,
      charts: [],
      tables: [],
    },
    {
      id: 'protocols-kernels',
      title: 'Push, harvest and reset per entry',
      intro: `Each kernel moves one ring's worth (${m.kernels.entriesPerCall.toLocaleString('en-US')} entries) per call on one thread, timed as dirtylog bench engine times it (${m.kernels.timeMsPerSample} ms of samples per round), ${m.kernels.rounds} rounds, the protocols interleaved within each round. Bars: median of the rounds' medians; whiskers: their range.`,
      verdicts: r.verdicts.kernels,
      charts: r.kernels.length ? [kernelChart(r)] : [],
      tables: [kernelTable(r)],
    },
    {
      id: 'protocols-transfer',
      title: 'Two threads: the transfer pipeline',
      intro: `dirtylog bench transfer under each protocol: ${m.transfer.guest}; ring sizes ${m.transfer.sizes.join(', ')}, ${m.transfer.trials} trial${m.transfer.trials === 1 ? '' : 's'} of ${m.transfer.secondsPerTrial} s each. The collector looks every 64 spins and reaps a batch (an eighth of the ring) when it is ready: with flags it reads the batch's last entry, with shared indices avail_index. Pushes per look: how often it looked, measured.`,
      verdicts: r.verdicts.transfer,
      charts: r.transfer.length ? [transferChart(r)] : [],
      tables: [{ caption: 'Per ring size and protocol: median (min–max over the trials)', header: TRANSFER_HEADER, rows: transferRows(r) }],
    },
    {
      id: 'protocols-sweep',
      title: 'Ring sizes under each protocol',
      intro: `Threaded runs at ${m.sweep.sizes.join(', ')} entries per vCPU under each protocol: ${m.sweep.workload}; ${m.sweep.trials} trial${m.sweep.trials === 1 ? '' : 's'} of ${m.sweep.secondsPerTrial} s each (median, whiskers min to max).`,
      verdicts: r.verdicts.sweep,
      charts: r.sweep.length ? sweepCharts(r) : [],
      tables: [{ caption: 'Every point: median (min–max over the completed trials)', header: SWEEP_HEADER, rows: sweepRows(r) }],
    },
    {
      id: 'protocols-lines',
      title: 'Cache-line transfers, counted in the model',
      intro: `The model (${m.lines.model}) counts each time a line crosses between the vCPU's core and the collector's: ${LINE_KINDS.map((k) => `${k}: ${LINE_KIND_INFO[k]}`).join('; ')}. Its look intervals run from ${m.lines.pushesPerLook[0]} to ${m.lines.pushesPerLook.at(-1)} pushes.`,
      verdicts: r.verdicts.lines,
      charts: lineCharts(r),
      tables: [{ caption: 'Line transfers per entry, by line', header: LINES_HEADER, rows: lineRows(r) }],
    },
    {
      id: 'protocols-security',
      title: 'What userspace can forge',
      intro: 'What each protocol lets a hostile or buggy VMM hand the kernel, and what the reset does about it, as the tests show.',
      verdicts: r.verdicts.security,
      charts: [],
      tables: [],
    },
  ];
}

export function protocolsCsv(r: Result): { header: string[]; rows: CsvCell[][] } {
  const header = ['part', 'protocol', 'ring_entries', 'what', 'unit', 'median', 'min', 'max', 'samples'];
  const s = (x: Summary) => [x.median, x.min, x.max, x.samples];
  const rows: CsvCell[][] = [
    ...r.kernels.map((k) => ['kernels', k.protocol, '', k.kernel, 'ns/entry', ...s(k.nsPerEntry)]),
    ...r.transfer.flatMap((t) => [
      ['transfer', t.protocol, t.ringEntries, 'entries per second', 'M/s', ...s(t.mEntriesPerSecond)],
      ['transfer', t.protocol, t.ringEntries, 'looks per entry', 'looks', ...s(t.looksPerEntry)],
      ['transfer', t.protocol, t.ringEntries, 'vCPU stall share', 'share', ...s(t.stallShare)],
    ]),
    ...r.sweep.flatMap((p) => [
      ['sweep', p.protocol, p.ringEntries, 'guest writes per second', 'writes/s', ...s(p.outcome.summary.writesPerSecond)],
      ['sweep', p.protocol, p.ringEntries, 'harvest + reset per entry', 'ns/entry', ...s(perEntry(p))],
    ]),
    ...[...r.lines.batch, ...r.lines.chase].map((c) => ['lines', c.protocol, c.ringEntries, `${c.batch === 1 ? 'chase' : `batch ${c.batch}`}, a look per ${c.lookEvery} pushes`, 'transfers/entry', c.totalPerEntry, c.totalPerEntry, c.totalPerEntry, 1]),
  ];
  return { header, rows };
}

export function protocolsText(r: Result): string {
  const kt = kernelTable(r);
  return [
    'dirtylog compare protocols: per-entry flags against shared indices (adjacent and 64 bytes apart)',
    '',
    ...r.verdicts.summary,
    '',
    'Push, harvest and reset per entry (one thread)',
    formatTable(kt.header, kt.rows),
    ...r.verdicts.kernels.map((v) => `  ${v}`),
    '',
    'Two threads (the transfer pipeline)',
    formatTable(TRANSFER_HEADER, transferRows(r)),
    ...r.verdicts.transfer.map((v) => `  ${v}`),
    '',
    'Ring sizes under each protocol',
    formatTable(SWEEP_HEADER, sweepRows(r)),
    ...r.verdicts.sweep.map((v) => `  ${v}`),
    '',
    'Cache-line transfers (the model)',
    ...r.verdicts.lines.map((v) => `  ${v}`),
    '',
    'What userspace can forge',
    ...r.verdicts.security.map((v) => `  ${v}`),
    '',
  ].join('\n');
}
