/** Plain-text table of an engine benchmark: wasm and js side by side with their ratio. */
import type { BenchRow, EngineBenchReport } from '../bench/engine.ts';
import type { Summary } from '../bench/stats.ts';
import { formatSpread } from './units.ts';

/** Each cell in its own time unit: a 1 TiB GET in ms next to a 1 GiB one in µs. */
const TO_MS: Record<BenchRow['unit'], number> = { 'ns/entry': 1e-6, 'ns/page': 1e-6, 'ms/call': 1 };
const cell = (s: Summary, unit: BenchRow['unit']): string => formatSpread(s.median * TO_MS[unit], s.mad * TO_MS[unit]);
const density = (d: number | null): string => (d === null ? '-' : `${+(d * 100).toPrecision(3)}%`);

export function engineRowLine(r: BenchRow): string[] {
  return [r.kernel, r.guest, density(r.density), r.unit.slice(3), cell(r.wasm, r.unit), cell(r.js, r.unit), `${r.ratio.toFixed(1)}x`];
}

export const ENGINE_HEADER = ['kernel', 'guest', 'dirty', 'per', 'wasm median ±MAD', 'js median ±MAD', 'js/wasm'];

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
    ...(report.interrupted ? ['', `interrupted (Ctrl-C): only the ${report.rows.length} row${report.rows.length === 1 ? '' : 's'} above finished`] : []),
    '',
  ].join('\n');
}

/**
 * A comparison as text: its title, then each workload group's table (rows whose first cell is
 * the group, printed without it) and the group's verdict.
 */
export function comparisonGroupsText(
  c: { readonly name: string; readonly summary: string; readonly verdicts: readonly { readonly group: string; readonly winner?: string; readonly reason: string }[] },
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const lines = [`dirtylog compare ${c.name}: ${c.summary}`, ''];
  for (const g of [...new Set(rows.map((r) => r[0]!))]) {
    lines.push(g, formatTable(header.slice(1), rows.filter((r) => r[0] === g).map((r) => r.slice(1))));
    const v = c.verdicts.find((x) => x.group === g);
    if (v) lines.push(v.winner ? `  winner: ${v.winner}: ${v.reason}` : `  ${v.reason}`);
    lines.push('');
  }
  return lines.join('\n');
}

