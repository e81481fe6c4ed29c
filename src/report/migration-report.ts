/**
 * A migration as text (a line per round in QEMU's query-migrate words, the state, the proof,
 * the totals) and as an HTML timeline: remaining and transferred per round, the dirty rate
 * against the bandwidth, the throttle, and the downtime against its budget.
 */
import type { MachineInfo } from '../bench/machine.ts';
import type { MigrationResult, RoundStats } from '../migration/result.ts';
import type { DestinationSummary } from '../migration/spawn-destination.ts';
import type { RunSummaryOptions } from '../run/options.ts';
import { formatValue } from './axis.ts';
import type { Axis, BarChart, LineChart } from './chart.ts';
import type { ReportDocument, ReportSection, Table } from './html.ts';
import { formatDuration } from './units.ts';

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
const ms = (v: number | undefined): string => (v === undefined ? '-' : formatDuration(v));

export function roundLine(s: RoundStats): string {
  return `round ${s.round}: sent ${s.pagesSent} pages; transferred ${mib(s.transferred)}, remaining ${mib(s.remaining)}, dirty-pages-rate ${Math.round(s.dirtyPagesRate)}/s, mbps ${s.mbps.toFixed(0)}, expected-downtime ${s.expectedDowntimeMs.toFixed(0)} ms, throttle ${s.throttlePercent}%${s.dirtyLimit ? `, dirty-limit ${s.dirtyLimit} pages/s per vCPU` : ''}, dirty-sync-count ${s.dirtySyncCount} (${ms(s.ms)})`;
}

export function migrationLines(r: MigrationResult): string[] {
  const t = r.totals;
  const lines: string[] = [];
  for (const s of r.state) lines.push(`state: ${s.model} ${s.kind}: ${s.detail}`);
  if (r.proof) lines.push(`proof: ${r.proof.differingCount ? `${r.proof.differingCount} of ${r.proof.pagesCompared} pages differ (first: ${r.proof.differing.slice(0, 16).join(', ')})` : `all ${r.proof.pagesCompared} pages equal on the destination`}`);
  if (r.verification.kind !== 'off') lines.push(`verify: ${r.verification.syncsChecked} dirty-log syncs checked against the guest's completed writes, ${r.verification.missedCount} missed`);
  const down = t.downtime ? ` (final sync ${ms(t.downtime.syncMs)}, final pages and state ${ms(t.downtime.sendMs)}, destination resume ${ms(t.downtime.resumeMs)})` : '';
  lines.push(`total time ${ms(t.totalMs)}, downtime ${ms(t.downtimeMs)}${down}, setup ${ms(t.setupMs)}; transferred ${mib(t.transferred)} (${t.pagesSent} pages) in ${t.rounds} round${t.rounds === 1 ? '' : 's'}${t.downtimeMs !== undefined ? ` and the final copy of ${t.finalPages} pages` : ''}; dirty-sync-count ${t.dirtySyncCount}${t.proofMs !== undefined ? `; proof ${ms(t.proofMs)}` : ''}`);
  lines.push(`${r.kind}: ${r.verdict}`);
  return lines;
}

export function destinationLines(d: DestinationSummary): string[] {
  return [`destination: ${d.kind}: ${d.verdict}${d.guestRan ? `; the guest made ${d.writesAfterResume} writes there before the command stopped it` : ''}`];
}

const ROUND: Axis = { label: 'round', scale: 'linear', format: 'iteration', zero: false };

export function migrationCharts(r: MigrationResult, id = 'migration', heading = 'Migration'): (LineChart | BarChart)[] {
  const rounds = r.rounds;
  const pts = (f: (s: RoundStats) => number) => rounds.map((s) => ({ x: s.round, y: f(s) }));
  const last = rounds.at(-1);
  const converged = r.totals.downtimeMs !== undefined;
  const charts: (LineChart | BarChart)[] = [
    {
      kind: 'line', id: `${id}-bytes`, title: `${heading}: remaining and transferred per round`, x: ROUND,
      y: { label: 'bytes', scale: 'linear', format: 'bytes' },
      series: [{ name: 'remaining', points: pts((s) => s.remaining) }, { name: 'transferred', points: pts((s) => s.transferred) }],
      verdict: last
        ? `After round ${last.round}, ${mib(last.remaining)} remained dirty and ${mib(last.transferred)} had been sent; ${converged ? `the remainder fit the downtime budget, so the guest stopped for the final copy` : 'the remainder never fit the downtime budget'}.`
        : 'No round finished.',
    },
    {
      kind: 'line', id: `${id}-rates`, title: `${heading}: dirty rate against bandwidth`, x: ROUND,
      y: { label: 'bytes per second', scale: 'linear', format: 'bytes' },
      series: [
        { name: 'guest dirty rate', points: pts((s) => s.dirtyPagesRate * 4096) },
        { name: 'achieved throughput', points: pts((s) => (s.mbps * 1e6) / 8) },
        { name: 'bandwidth limit', points: pts((s) => s.bandwidth), style: 'fit' },
      ],
      verdict: last
        ? `The guest dirtied ${mib(last.dirtyPagesRate * 4096)}/s in the last round against a limit of ${mib(last.bandwidth)}/s; pre-copy converges only while the dirty rate stays well under what the link carries.`
        : 'No round finished.',
    },
    {
      kind: 'line', id: `${id}-throttle`, title: `${heading}: CPU throttle per round`, x: ROUND,
      y: { label: 'throttle (% of vCPU time)', scale: 'linear', format: 'share' },
      series: [{ name: 'throttle', points: pts((s) => s.throttlePercent / 100) }],
      verdict: rounds.some((s) => s.throttlePercent > 0)
        ? `Auto-converge throttled the vCPUs up to ${Math.max(...rounds.map((s) => s.throttlePercent))}% of their time (QEMU: 20%, then 10% more each time the guest dirtied more than half of what was sent, twice).`
        : `No throttle: ${rounds.some((s) => s.dirtyLimit > 0) ? `the dirty limit held each vCPU to ${rounds.find((s) => s.dirtyLimit > 0)!.dirtyLimit} pages/s instead` : 'auto-converge was off or never triggered'}.`,
      size: 'small',
    },
  ];
  const t = r.totals;
  const budget = r.limits.maxDowntimeMs;
  if (t.downtime && t.downtimeMs !== undefined) {
    charts.push({
      kind: 'bar', id: `${id}-downtime`, title: `${heading}: downtime against its budget`, categories: ['final sync', 'final pages and state', 'destination resume', 'downtime', 'budget'], categoryLabel: 'part of the downtime',
      y: { label: 'time (guest paused)', scale: 'linear', format: 'ms' },
      series: [{ name: 'measured (budget: --max-downtime-ms)', values: [t.downtime.syncMs, t.downtime.sendMs, t.downtime.resumeMs, t.downtimeMs, budget].map((y) => ({ x: 0, y })) }],
      verdict: `The guest was paused ${formatDuration(t.downtimeMs)} against a budget of ${budget} ms: the final sync, sending the last ${t.finalPages} pages and the VM state, and the destination resuming the guest.`,
      size: 'small',
    });
  }
  return charts;
}

function roundsTable(r: MigrationResult): Table {
  return {
    caption: 'Every round (QEMU query-migrate fields)',
    header: ['round', 'pages sent', 'transferred', 'remaining', 'dirty-pages-rate', 'mbps', 'expected-downtime', 'throttle', 'dirty-sync-count', 'time'],
    rows: r.rounds.map((s) => [String(s.round), String(s.pagesSent), mib(s.transferred), mib(s.remaining), `${Math.round(s.dirtyPagesRate)}/s`, s.mbps.toFixed(0), `${s.expectedDowntimeMs.toFixed(0)} ms`, `${s.throttlePercent}%`, String(s.dirtySyncCount), ms(s.ms)]),
  };
}

export function migrationSection(r: MigrationResult, o: RunSummaryOptions, id = 'migration'): ReportSection {
  const t = r.totals;
  return {
    id, title: 'Migration timeline',
    intro: `A ${o.strategy} guest of ${formatValue('bytes', o.memoryBytes)} with ${o.vcpus} vCPU${o.vcpus === 1 ? '' : 's'} writing ${o.pattern} pages, migrated live over TCP: a first full pass, then rounds of the pages each dirty-log sync reported, stop-and-copy, the VM state, and a comparison of every page.`,
    verdicts: [`${r.kind}: ${r.verdict}`, `Total time ${ms(t.totalMs)}, downtime ${ms(t.downtimeMs)}, setup ${ms(t.setupMs)}, ${t.rounds} round${t.rounds === 1 ? '' : 's'}.`],
    charts: migrationCharts(r),
    tables: [roundsTable(r), { caption: 'VM state at the destination', header: ['model', 'outcome', 'detail'], rows: r.state.map((s) => [s.model, s.kind, s.detail]) }],
  };
}

export function migrationDocument(r: MigrationResult, o: RunSummaryOptions, command: string, machine: MachineInfo): ReportDocument {
  return { title: 'dirtylog: migration', command, date: new Date().toISOString(), machine, interrupted: r.kind === 'aborted', sections: [migrationSection(r, o)] };
}
