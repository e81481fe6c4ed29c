/** Plain-text table of an engine benchmark: wasm and js side by side with their ratio. */
import type { BenchRow, EngineBenchReport } from '../bench/engine.ts';
import type { Summary } from '../bench/stats.ts';

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));
const cell = (s: Summary): string => `${fmt(s.median)} ±${fmt(s.mad)}`;
const density = (d: number | null): string => (d === null ? '-' : `${+(d * 100).toPrecision(3)}%`);

export function engineRowLine(r: BenchRow): string[] {
  return [r.kernel, r.guest, density(r.density), r.unit, cell(r.wasm), cell(r.js), `${r.ratio.toFixed(1)}x`];
}

export const ENGINE_HEADER = ['kernel', 'guest', 'dirty', 'unit', 'wasm median ±MAD', 'js median ±MAD', 'js/wasm'];

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatEngineReport(report: EngineBenchReport): string {
  const m = report.machine;
  const caches = Object.entries(m.caches).map(([k, v]) => `${k} ${v}`).join(', ') || 'unknown';
  return [
    `dirtylog engine benchmark — ${m.cpuModel}, ${m.cpus} CPUs, caches ${caches}; Node ${m.node}`,
    `sampling: ${report.method.timeMs} ms per task, at least ${report.method.minIterations} iterations after ${report.method.warmupIterations} warm-up; seed ${report.method.seed}`,
    '',
    formatTable(ENGINE_HEADER, report.rows.map(engineRowLine)),
    '',
  ].join('\n');
}
