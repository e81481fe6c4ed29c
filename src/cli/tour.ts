/**
 * `dirtylog tour` (what `npm start` runs): ring against bitmap on the same workloads, with a
 * verdict; then the quickest cut of the sweeps, and an HTML report of it all.
 */
import { writeFileSync } from 'node:fs';
import { sweepGuest, type GuestSweepResult } from '../experiments/guest-sweep.ts';
import { sweepRing, type RingSweepResult } from '../experiments/ring-sweep.ts';
import { TOUR_GUEST_SWEEP, TOUR_RING_SWEEP, tourComparison } from '../experiments/tour.ts';
import { comparisonSection } from '../report/comparison-report.ts';
import { guestSweepSection } from '../report/guest-sweep-report.ts';
import { renderHtml, type ReportSection } from '../report/html.ts';
import { ringSweepSection } from '../report/ring-sweep-report.ts';
import { compareStrategies, TOUR, TOUR_STRATEGIES, type Comparison } from '../run/compare.ts';
import { formatTable } from '../report/engine-table.ts';
import { formatDuration } from '../report/units.ts';
import type { RunResult } from '../run/run.ts';
import { EXIT, exitStatusHelp, progressWriter, type Command, type Io } from './command.ts';
import { outputChoice, progressLine } from './experiment-output.ts';
import { noPositionals, parseFlags } from './flags.ts';

/** Where `npm start` leaves its report: the current folder, under a name that says what it is. */
const DEFAULT_REPORT = 'dirtylog-report.html';

const HELP = `usage: dirtylog tour [--json] [--html FILE]

Runs two workloads under the ring and the bitmap strategies, the first verified page by page,
and says which strategy won each and why; then a quick ring-size sweep and a guest-size sweep
up to 1 TiB, and writes all of it as one HTML report with charts. Takes about twenty seconds.
This is what dirtylog runs with no command, and what npm start runs.

options:
  --json              print every comparison as one JSON document
  --html FILE         where the report goes (default ${DEFAULT_REPORT} in the current folder)
  -h, --help          this help

${exitStatusHelp('a run failed, or a page the collector missed was found')}`;

const STRATEGIES = TOUR_STRATEGIES;
const FLAGS = { json: { type: 'boolean' }, html: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

export const main: Command = async (argv, io) => {
  const { values, positionals } = parseFlags('tour', argv, FLAGS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  noPositionals('tour', positionals);
  const html = outputChoice({ html: values.html ?? DEFAULT_REPORT }).html!;
  const json = values.json === true;
  const progress = progressWriter(io, json);
  const comparisons: Comparison[] = [];
  const document = () => `${JSON.stringify({ interrupted: io.signal.aborted, comparisons }, null, 2)}\n`;
  const finished = () => comparisons.filter((c) => c.results.length === STRATEGIES.length && c.results.every((r) => r.kind !== 'aborted')).length;
  const notRun = () => `\ninterrupted (Ctrl-C): ${TOUR.length - finished()} of ${TOUR.length} workloads did not finish\n`;
  // Finished workloads are on stdout already; a second Ctrl-C adds only the note (or the document).
  io.keepPartial?.(() => (json ? document() : notRun()));
  for (const scenario of TOUR) {
    if (io.signal.aborted) break;
    // The heading is the progress in text mode; --json says on stderr (a terminal) what runs.
    if (!json) io.stdout(`\n${scenario.name}\n  (${scenario.why})\n`);
    else progress(`tour: ${scenario.name}: ${STRATEGIES.join(', then ')}, ${scenario.options.seconds ?? 1} s each`);
    const c = await compareStrategies(scenario, STRATEGIES, io.signal);
    comparisons.push(c);
    if (json) continue;
    io.stdout(`${formatTable(HEADER, c.results.map(row))}\n`);
    io.stdout(c.winner ? `  winner: ${c.winner}: ${c.reason}\n` : `  ${c.reason}\n`);
  }
  // The sweeps only when the tour itself finished: Ctrl-C means stop, not start something else.
  const sweeps = io.signal.aborted ? {} : await quickSweeps(io, json);
  const interrupted = io.signal.aborted;
  writeFileSync(html, renderHtml({
    title: 'dirtylog: the tour', command: 'dirtylog tour', date: new Date().toISOString(), machine: tourComparison(comparisons, interrupted).machine, interrupted,
    sections: reportSections(comparisons, interrupted, sweeps),
  }));
  if (json) io.stdout(document());
  else if (interrupted) io.stdout(notRun());
  // stdout keeps the JSON document alone; the path goes where a person reads it.
  (json ? io.stderr : io.stdout)(`${json ? '' : '\n'}report: ${html}\n`);
  if (interrupted) return EXIT.interrupted;
  const failed = comparisons.some((c) => c.results.some((r) => r.kind !== 'completed' || r.verification.kind === 'failed'));
  return failed ? EXIT.failed : EXIT.ok;
};


interface Sweeps { ring?: RingSweepResult; guest?: GuestSweepResult }

async function quickSweeps(io: Io, json: boolean): Promise<Sweeps> {
  const progress = progressWriter(io, json);
  const say = (what: string) => (json ? progress : (t: string) => io.stdout(`${t}\n`))(what);
  say('\nfor the report: a quick ring-size sweep and a guest-size sweep up to 1 TiB');
  const ring = await sweepRing({ ...TOUR_RING_SWEEP, signal: io.signal, onProgress: (p) => progress(progressLine('sweep ring', p)) });
  if (io.signal.aborted) return { ring };
  const guest = await sweepGuest({ ...TOUR_GUEST_SWEEP, signal: io.signal, onProgress: (p) => progress(progressLine('sweep guest', p)) });
  return { ring, guest };
}

function reportSections(comparisons: readonly Comparison[], interrupted: boolean, s: Sweeps): ReportSection[] {
  const sections = [comparisonSection(tourComparison(comparisons, interrupted))];
  if (s.ring?.workloads.length) sections.push(ringSweepSection(s.ring));
  if (s.guest?.points.length) sections.push(guestSweepSection(s.guest));
  return sections;
}

const HEADER = ['strategy', 'verified', 'iterations', 'writes/s', 'dirty/iter', 'full exits', 'vCPU stall', 'collector/iter'];

function row(r: RunResult): string[] {
  const t = r.totals;
  return [
    r.options.strategy,
    r.kind === 'aborted' ? 'interrupted' : r.verification.kind !== 'off' ? r.verification.kind : r.kind === 'completed' ? 'tracking only' : r.kind,
    String(t.iterations),
    `${(t.writesPerSecond / 1e6).toFixed(2)} M`,
    Math.round(t.dirtyPages / Math.max(1, t.iterations)).toLocaleString('en-US'),
    t.fullExits.toLocaleString('en-US'),
    `${((100 * t.stallMs) / Math.max(1e-9, r.options.vcpus * t.runningMs)).toFixed(0)}%`,
    formatDuration(t.collectorBusyMs / Math.max(1, t.iterations)),
  ];
}
