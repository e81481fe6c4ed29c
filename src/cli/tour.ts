/** `dirtylog tour` (what `npm start` runs): ring against bitmap on the same workloads, with a verdict. */
import { compareStrategies, TOUR } from '../run/compare.ts';
import { formatTable } from '../report/engine-table.ts';
import { formatDuration } from '../report/units.ts';
import type { RunResult } from '../run/run.ts';
import { EXIT, exitStatusHelp, type Command } from './command.ts';
import { noPositionals, parseFlags } from './flags.ts';

const HELP = `usage: dirtylog tour [--json]

Runs two workloads under the ring and the bitmap strategies, the first verified page by page,
and says which strategy won each and why. Takes about half a minute. This is what dirtylog
runs with no command, and what npm start runs.

options:
  --json              print every comparison as one JSON document
  -h, --help          this help

${exitStatusHelp('a run failed, or a page the collector missed was found')}`;

const STRATEGIES = ['ring', 'bitmap'] as const;
const FLAGS = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

export const main: Command = async (argv, io) => {
  const { values, positionals } = parseFlags('tour', argv, FLAGS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  noPositionals('tour', positionals);
  const comparisons = [];
  for (const scenario of TOUR) {
    if (!values.json) io.stdout(`\n${scenario.name}\n  (${scenario.why})\n`);
    const c = await compareStrategies(scenario, STRATEGIES, io.signal);
    comparisons.push(c);
    if (values.json) continue;
    io.stdout(`${formatTable(HEADER, c.results.map(row))}\n`);
    io.stdout(`  winner: ${c.winner ?? 'none'}: ${c.reason}\n`);
  }
  if (values.json) io.stdout(`${JSON.stringify(comparisons, null, 2)}\n`);
  const failed = comparisons.some((c) => c.results.some((r) => r.kind !== 'completed' || r.verification?.kind === 'failed'));
  return io.signal.aborted ? EXIT.interrupted : failed ? EXIT.failed : EXIT.ok;
};

const HEADER = ['strategy', 'verified', 'iterations', 'writes/s', 'dirty/iter', 'full exits', 'vCPU stall', 'collector/iter'];

function row(r: RunResult): string[] {
  const t = r.totals;
  return [
    r.options.strategy,
    r.verification?.kind ?? (r.kind === 'completed' ? 'tracking only' : r.kind),
    String(t.iterations),
    `${(t.writesPerSecond / 1e6).toFixed(2)} M`,
    Math.round(t.dirtyPages / Math.max(1, t.iterations)).toLocaleString('en-US'),
    t.fullExits.toLocaleString('en-US'),
    `${((100 * t.stallMs) / (r.options.vcpus * t.runningMs)).toFixed(0)}%`,
    formatDuration(t.collectorBusyMs / Math.max(1, t.iterations)),
  ];
}
