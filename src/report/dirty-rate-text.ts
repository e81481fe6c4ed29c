/** `dirtylog dirty-rate` as text: QEMU's `info dirty_rate` for each mode, beside the engine's count. */
import type { DirtyRateResult, ModeError } from '../experiments/dirty-rate.ts';
import type { DirtyRateEstimate, DirtyRateMode, DirtyRateReport } from '../run/dirty-rate.ts';
import type { RunSummaryOptions } from '../run/options.ts';
import { formatSize } from '../run/size.ts';
import { formatTable } from './engine-table.ts';

const n = (x: number) => Math.round(x).toLocaleString('en-US');
/** QEMU prints whole MB/s; below 10 a decimal says more. */
const mbps = (x: number) => `${x >= 10 ? n(x) : x.toFixed(1)} MB/s`;

function signed(p: number | null): string {
  if (p === null) return '-';
  const a = Math.abs(p);
  return p === 0 ? '0%' : `${p > 0 ? '+' : '-'}${a >= 10 ? a.toFixed(0) : a >= 1 ? a.toFixed(1) : a.toPrecision(2)}%`;
}

export function dirtyRateHeader(o: RunSummaryOptions): string {
  const ring = o.ringEntries ? `, ring ${o.ringEntries} entries` : '';
  const pattern = o.pattern === 'zipf' ? `zipf (${n(o.hotPages)} hot pages)` : o.pattern;
  return `dirtylog dirty-rate: ${o.strategy}, ${o.vcpus} vCPU${o.vcpus > 1 ? 's' : ''}, ${formatSize(o.memoryBytes)} (${n(o.pages)} pages)${ring}, pattern ${pattern}; calc-time ${n(o.intervalMs)} ms, ${n(o.samplePages)} sample pages per GiB`;
}

/** One measurement: the engine's count, then each mode with its error against it (QEMU's units). */
export function measurementText(r: DirtyRateReport, i: number, modes: readonly DirtyRateMode[]): string {
  const t = r.truth;
  const rows = r.modes.filter((m) => modes.includes(m.mode)).flatMap((m) => [
    [m.mode, mbps(m.mbPerSecond), n(m.pagesPerSecond), signed(m.errorPercent), detail(m)],
    ...(m.vcpus ?? []).map((v) => [`  vcpu[${v.vcpu}]`, mbps(v.mbPerSecond), n(v.pagesPerSecond), '', '']),
  ]);
  return [
    `measurement ${i}: period ${n(r.calcTimeMs)} ms; the engine counted ${n(t.pages)} distinct dirty pages from ${n(t.writes)} writes: ${mbps(t.mbPerSecond)} (${n(t.pagesPerSecond)} pages/s)`,
    formatTable(['mode', 'dirty rate', 'pages/s', 'error', ''], rows).replace(/^/gm, '  '),
  ].join('\n');
}

function detail(m: DirtyRateEstimate): string {
  if (m.sampled) return `${n(m.sampled.dirty)} of ${n(m.sampled.pages)} sampled pages changed`;
  if (m.vcpus) return `${n(m.pages)} ring entries harvested`;
  return `${n(m.pages)} pages in the last sync`;
}

/** Each mode's error over the measurements, when there were several. */
export function errorsText(errors: readonly ModeError[], modes: readonly DirtyRateMode[]): string {
  const rows = errors.filter((e) => modes.includes(e.mode) && e.errorPercent.samples > 0)
    .map((e) => [e.mode, signed(e.errorPercent.median), `${signed(e.errorPercent.min)} to ${signed(e.errorPercent.max)}`, `${e.absErrorPercent.median.toFixed(1)}%`]);
  return `error against the engine's count, over ${errors[0]?.errorPercent.samples ?? 0} measurements:\n${formatTable(['mode', 'median', 'range', 'median |error|'], rows).replace(/^/gm, '  ')}`;
}

export function dirtyRateSummary(r: DirtyRateResult, modes: readonly DirtyRateMode[]): string {
  const lines: string[] = [];
  if (r.measurements.length > 1) lines.push(errorsText(r.errors, modes));
  if (r.kind === 'aborted') lines.push(`interrupted (Ctrl-C): ${r.measurements.length} measurement${r.measurements.length === 1 ? '' : 's'} finished, above`);
  if (r.kind === 'failed') lines.push(`FAILED in the ${r.error.vcpu === undefined ? r.error.thread : `${r.error.thread} ${r.error.vcpu}`} thread: ${r.error.message}`);
  return lines.join('\n');
}
