/** Plain-text lines for runs: per iteration like dirty_log_test, then totals and the verdict. */
import type { IterationReport, RunResult } from '../run/run.ts';
import { formatSize } from '../run/size.ts';
import { formatDuration } from './units.ts';

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const INTERRUPTED = 'interrupted (Ctrl-C): stopped early, the results above are partial';
const rate = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k/s` : `${x.toFixed(0)} /s`);

export function runHeader(r: Pick<RunResult, 'options'>): string {
  const o = r.options;
  const ring = o.ringEntries ? `, ring ${o.ringEntries} entries` : '';
  return `dirtylog run: ${o.strategy}, ${o.vcpus} vCPU${o.vcpus > 1 ? 's' : ''}, ${formatSize(o.memoryBytes)} (${n(o.pages)} pages)${ring}${o.pml ? ', PML' : ''}, pattern ${o.pattern}, ${o.engine} engine${o.verify ? ', verify on' : ''}`;
}

export function iterationLine(r: IterationReport): string {
  const exits = r.fullExits ? `, full exits ${n(r.fullExits)}, stall ${formatDuration(r.stallMs)}` : '';
  const bad = r.violations ? `, ${n(r.violations)} VIOLATIONS` : '';
  return `iteration ${r.iteration}: dirty ${n(r.dirty)}, clean ${n(r.clean)}, writes ${n(r.writes)}${exits}${held(r)}${bad}`;
}

/** The dirty limit's part of an iteration: how long it held the vCPUs, and the rate each dirtied at. */
function held(r: IterationReport): string {
  const ms = r.vcpus.reduce((a, v) => a + v.throttleMs, 0);
  if (ms === 0) return '';
  return `, held ${formatDuration(ms)} by the dirty limit, dirty pages/s per vCPU ${r.vcpus.map((v) => rate(v.dirtyRate ?? 0).replace(/ (\w*)\/s$/, '$1')).join(' ')}`;
}

export function runSummary(r: RunResult): string {
  const t = r.totals;
  const lines = [
    `totals: ${t.iterations} iterations in ${(t.elapsedMs / 1000).toFixed(2)} s (vCPUs ran ${(t.runningMs / 1000).toFixed(2)} s), ${n(t.writes)} writes (${rate(t.writesPerSecond)}), ${n(t.dirtyPages)} pages reported dirty`,
  ];
  if (t.fullExits || t.entriesHarvested) {
    lines.push(`ring: ${n(t.fullExits)} full exits, vCPUs stalled ${formatDuration(t.stallMs)} (${formatDuration(t.stallPerExitMs)} per exit), ${n(t.entriesHarvested)} entries harvested (${rate(t.entriesPerSecond)}), ${n(t.entriesReset)} reset`);
  }
  if (t.throttleMs) lines.push(`dirty limit ${n(r.options.dirtyLimit)} pages/s per vCPU: vCPUs held ${formatDuration(t.throttleMs)} after full exits`);
  lines.push(`collector busy ${formatDuration(t.collectorBusyMs)}`);
  const v = r.verification;
  if (v?.kind === 'passed') lines.push(`verification: passed (${v.iterations} iterations, ${n(v.pagesChecked)} page checks, mirror equal to guest memory)`);
  if (v?.kind === 'failed') {
    lines.push(`verification: FAILED, ${n(v.violationCount)} violations, mirror differs on ${v.mirrorDiffers.length}${v.mirrorDiffers.length === 50 ? '+' : ''} pages`);
    for (const x of v.violations.slice(0, 5)) lines.push(`  page ${x.page} (iteration ${x.iteration}, stamp ${x.stamp}): ${x.kind}`);
  }
  if (r.kind === 'aborted') lines.push(INTERRUPTED);
  if (r.kind === 'failed') lines.push(`FAILED in the ${r.error.vcpu === undefined ? r.error.thread : `${r.error.thread} ${r.error.vcpu}`} thread: ${r.error.message}`);
  return lines.join('\n');
}

/**
 * What a second Ctrl-C leaves: the run is abandoned before its result exists, so the totals
 * are summed from the iterations that finished.
 */
export function partialRunSummary(iterations: readonly IterationReport[]): string {
  const sum = (f: (r: IterationReport) => number) => iterations.reduce((a, r) => a + f(r), 0);
  return [
    `totals of the ${iterations.length} iteration${iterations.length === 1 ? '' : 's'} that finished: ${n(sum((r) => r.writes))} writes, ${n(sum((r) => r.dirty))} pages reported dirty, ${n(sum((r) => r.fullExits))} full exits`,
    'interrupted twice (Ctrl-C): exited at once, the results above are partial',
  ].join('\n');
}
