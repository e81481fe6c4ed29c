/** `dirtylog compare NAME | --list | --scenarios FILE.json`: named comparisons and a user's own, as text, JSON or CSV, with an HTML report. */
import { readFileSync } from 'node:fs';
import { runComparison, type ComparisonHeader, type ComparisonResult, type ComparisonSpec } from '../experiments/comparison.ts';
import { COMPARISONS, comparisonSpec, namedComparison } from '../experiments/comparisons.ts';
import { compareProtocols, PROTOCOL_COMPARISON, type ProtocolComparisonResult } from '../experiments/protocols.ts';
import { parseScenariosFile } from '../experiments/scenarios-file.ts';
import { checkPoints } from '../experiments/trials.ts';
import { runMigrationComparison, type MigrationComparisonResult } from '../experiments/migration-comparison.ts';
import { MIGRATION_COMPARISONS, migrationComparisonSpec, namedMigrationComparison } from '../experiments/migration-comparisons.ts';
import { migrationComparisonCsv, migrationComparisonSection, migrationComparisonText } from '../report/migration-comparison-report.ts';
import { comparisonCsv, comparisonSection, comparisonText } from '../report/comparison-report.ts';
import { protocolSections, protocolsCsv, protocolsText } from '../report/protocols-report.ts';
import type { ReportDocument, ReportSection } from '../report/html.ts';
import { closest, quote } from '../validate.ts';
import { EXIT, UsageError, exitStatusHelp, type Command } from './command.ts';
import { OUTPUT_FLAGS, OUTPUT_HELP, outputChoice, runExperiment } from './experiment-output.ts';
import { numberFlag, parseFlags } from './flags.ts';

/** Every comparison --list shows: the named ones, the ring protocols' (an experiment of its own), then the migrations'. */
const LIST: readonly { readonly name: string; readonly summary: string }[] = [...COMPARISONS, PROTOCOL_COMPARISON, ...MIGRATION_COMPARISONS];
const NAME_WIDTH = Math.max(...LIST.map((c) => c.name.length));

const HELP = `usage: dirtylog compare NAME [options]
       dirtylog compare --list
       dirtylog compare --scenarios FILE.json [options]

Runs a named list of scenarios (each a run's options) over trials, and says per workload which
scenario won and why: the guest wrote 10% faster, or, when its pace tied, the collector paid
1.5x less. --list shows the comparisons; --scenarios runs your own (format in the README).

comparisons:
${LIST.map((c) => `  ${c.name.padEnd(NAME_WIDTH)} ${c.summary}`).join('\n')}

options:
  --list              list the comparisons, one line each
  --scenarios FILE    run the scenarios of a JSON file instead of a named comparison
  --trials N          runs per scenario (default 3; --quick: 1)
${OUTPUT_HELP}

${exitStatusHelp('a run failed, or a verified scenario found a page the collector missed')}`;

const FLAGS = { ...OUTPUT_FLAGS, list: { type: 'boolean' }, scenarios: { type: 'string' }, trials: { type: 'string' } } as const;

export const main: Command = async (argv, io) => {
  const { values, positionals } = parseFlags('compare', argv, FLAGS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (values.list) {
    if (positionals.length || values.scenarios !== undefined) throw new UsageError('--list takes no comparison name and no --scenarios');
    io.stdout(`${LIST.map((c) => `${c.name.padEnd(NAME_WIDTH)} ${c.summary}`).join('\n')}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError(`compare takes one comparison name, got ${positionals.length}: ${positionals.map(quote).join(' ')}`);
  const [name] = positionals;
  if (name !== undefined && values.scenarios !== undefined) throw new UsageError(`give a comparison name or --scenarios FILE, not both`);
  if (name === undefined && values.scenarios === undefined) {
    io.stderr(HELP);
    return EXIT.usage;
  }
  const out = outputChoice(values);
  const quick = values.quick === true;
  let trials: number | undefined;
  if (values.trials !== undefined) {
    trials = numberFlag('--trials', values.trials);
    if (!Number.isInteger(trials) || trials < 1 || trials > 100) throw new UsageError(`--trials must be a whole number from 1 to 100, got ${quote(values.trials)}`);
  }
  if (name === PROTOCOL_COMPARISON.name) return protocols(argv, io, out, quick, trials);
  const migration = name !== undefined ? namedMigrationComparison(name) : undefined;
  if (migration) {
    const spec = migrationComparisonSpec(migration, quick, trials);
    return runExperiment<MigrationComparisonResult>(io, out, {
      command: `compare ${spec.name}`,
      run: (signal, onProgress) => runMigrationComparison(spec, { signal, onProgress }),
      text: migrationComparisonText,
      csv: migrationComparisonCsv,
      document: comparisonDocument(argv, migrationComparisonSection),
      // A migration that did not converge is what some comparisons are about: only an unequal page is a failure.
      failed: (r) => r.scenarios.some((s) => s.trials.some((t) => /pages differ|not faithfully/.test(t.verdict))),
    });
  }
  const spec = name !== undefined ? named(name, quick, trials) : fromFile(values.scenarios!, quick, trials);
  return runExperiment<ComparisonResult>(io, out, {
    command: `compare ${spec.name}`,
    run: (signal, onProgress) => runComparison(spec, { signal, onProgress }),
    text: comparisonText,
    csv: comparisonCsv,
    document: comparisonDocument(argv, comparisonSection),
    failed: (r) => r.scenarios.some((s) => s.outcome.trials.some((t) => t.kind === 'failed' || t.verification === 'failed')),
  });
};

/** `compare protocols`: flags against shared indices, its own experiment with its own report. */
function protocols(argv: readonly string[], io: Parameters<Command>[1], out: ReturnType<typeof outputChoice>, quick: boolean, trials: number | undefined): Promise<number> {
  return runExperiment<ProtocolComparisonResult>(io, out, {
    command: 'compare protocols',
    run: (signal, onProgress) => compareProtocols({ quick, ...(trials !== undefined ? { trials } : {}), signal, onProgress }),
    text: protocolsText,
    csv: protocolsCsv,
    document: (r) => ({ title: 'dirtylog: compare protocols', command: `dirtylog compare ${argv.join(' ')}`, date: r.date, machine: r.machine, interrupted: r.interrupted, sections: protocolSections(r) }),
    failed: (r) => r.sweep.some((p) => p.outcome.trials.some((t) => t.kind === 'failed')),
  });
}

function named(name: string, quick: boolean, trials: number | undefined): ComparisonSpec {
  const c = namedComparison(name);
  if (!c) {
    const names = LIST.map((x) => x.name);
    // "strategy" for "strategies": a shared stem counts as close even past the edit distance.
    const near = closest(name, names) ?? (name.length >= 5 ? names.find((n) => n.slice(0, 6) === name.slice(0, 6)) : undefined);
    throw new UsageError(`unknown comparison ${quote(name)}: ${near ? `did you mean ${near}? ` : ''}dirtylog compare --list shows them`);
  }
  const spec = comparisonSpec(c, quick, trials);
  checkPoints(spec.scenarios.map((s) => ({ label: s.name, options: s.options })), spec.trials);
  return spec;
}

function fromFile(path: string, quick: boolean, trials: number | undefined): ComparisonSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--scenarios ${quote(path)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return parseScenariosFile(path, text, quick, trials);
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(`--scenarios: ${err.message}`);
    throw err;
  }
}

/** The HTML report of a comparison named `r.name`: one section drawn by `section`. */
function comparisonDocument<R extends ComparisonHeader>(argv: readonly string[], section: (r: R) => ReportSection): (r: R) => ReportDocument {
  return (r) => ({ title: `dirtylog: compare ${r.name}`, command: `dirtylog compare ${argv.join(' ')}`, date: r.date, machine: r.machine, interrupted: r.interrupted, sections: [section(r)] });
}
