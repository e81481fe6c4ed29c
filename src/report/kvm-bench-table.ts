/** Plain text of `dirtylog bench kvm`: each operation on real KVM beside the engine's, with the ratio, and this host's calibration. */
import type { KernelCosts, KvmBenchReport, KvmBenchRow } from '../bench/kvm.ts';
import type { Summary } from '../bench/stats.ts';
import { formatTable } from './engine-table.ts';
import { formatDuration } from './units.ts';

const TO_MS: Record<KvmBenchRow['unit'], number> = { 'ns/page': 1e-6, 'ns/entry': 1e-6, 'us/call': 1e-3 };
const cell = (s: Summary, unit: KvmBenchRow['unit']) => `${formatDuration(s.median * TO_MS[unit])} (${formatDuration(s.min * TO_MS[unit])}-${formatDuration(s.max * TO_MS[unit])})`;
const ratio = (x: number) => (x >= 10 ? `${x.toFixed(0)}x` : `${x.toFixed(1)}x`);

export const KVM_BENCH_HEADER = ['operation', 'per', 'real KVM median (range)', 'engine median (range)', 'KVM / engine'];

export function kvmRowLine(r: KvmBenchRow): string[] {
  return [r.title, r.unit.split('/')[1]!, cell(r.kvm, r.unit), cell(r.engine, r.unit), ratio(r.ratio)];
}

/** "--fault-cost 2296 --reset-cost 97", and what the numbers are. */
export function calibrationText(c: KernelCosts): string {
  return [
    `calibration for this host: faultCostNs ${c.faultCostNs}, resetCostNs ${c.resetCostNs}`,
    '  (real KVM less the engine: a first write to a write-protected page, ring mode; a reset entry, random offsets)',
    `  use: dirtylog run --fault-cost ${c.faultCostNs} --reset-cost ${c.resetCostNs} ...   or   startRun({ faultCostNs: ${c.faultCostNs}, resetCostNs: ${c.resetCostNs}, ... })`,
  ].join('\n');
}

export function formatKvmBench(r: KvmBenchReport): string {
  const m = r.machine;
  return [
    `dirtylog kvm benchmark — ${m.cpuModel}, ${m.cpus} CPUs; Node ${m.node}; load average ${r.load.before.toFixed(2)} before, ${r.load.after.toFixed(2)} after`,
    `method: ${r.method.reps} repetitions each; passes of ${r.method.passPages} pages, a ${r.method.slotPages * 4 / 1024 / 1024} GiB slot, ${r.method.ringEntries}-entry rings; engine ${r.method.engine}`,
    '',
    formatTable(KVM_BENCH_HEADER, r.rows.map(kvmRowLine)),
    '',
    ...(r.calibration ? [calibrationText(r.calibration), ''] : []),
    ...(r.interrupted ? [`interrupted (Ctrl-C): only the ${r.rows.length} row${r.rows.length === 1 ? '' : 's'} above finished`, ''] : []),
  ].join('\n');
}
