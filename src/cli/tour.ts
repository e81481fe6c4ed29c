/** `dirtylog tour` (what `npm start` runs): ring against bitmap on the same workloads, with a verdict. */
import { compareStrategies, TOUR, TOUR_STRATEGIES, type Comparison } from '../run/compare.ts';
import { formatTable } from '../report/engine-table.ts';
import { formatDuration } from '../report/units.ts';
import type { RunResult } from '../run/run.ts';
import { EXIT, exitStatusHelp, progressWriter, type Command } from './command.ts';
import { noPositionals, parseFlags } from './flags.ts';

const HELP = `usage: dirtylog tour [--json]

Runs two workloads under the ring and the bitmap strategies, the first verified page by page,
and says which strategy won each and why. Takes about ten seconds. This is what dirtylog
runs with no command, and what npm start runs.

options:
  --json              print every comparison as one JSON document
  -h, --help          this help

${exitStatusHelp('a run failed, or a page the collector missed was found')}`;

const STRATEGIES = TOUR_STRATEGIES;
const FLAGS = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

export const main: Command = async (argv, io) => {
  const { values, positionals } = parseFlags('tour', argv, FLAGS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  noPositionals('tour', positionals);
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
  const interrupted = io.signal.aborted;
  if (json) io.stdout(document());
  else if (interrupted) io.stdout(notRun());
  if (interrupted) return EXIT.interrupted;
  const failed = comparisons.some((c) => c.results.some((r) => r.kind !== 'completed' || r.verification.kind === 'failed'));
  return failed ? EXIT.failed : EXIT.ok;
};

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
