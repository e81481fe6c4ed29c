/**
 * What every experiment command shares: `--json` or `--csv` on stdout, `--html FILE` beside
 * either, text otherwise; progress on stderr (point k of n, elapsed, time left); Ctrl-C stops
 * the experiment within a second and prints (and writes) what finished, exit 130.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Progress } from '../experiments/progress.ts';
import { toCsv, type CsvCell } from '../report/csv.ts';
import { renderHtml, type ReportDocument } from '../report/html.ts';
import { quote } from '../validate.ts';
import { EXIT, UsageError, progressWriter, type Io } from './command.ts';

export const OUTPUT_FLAGS = {
  quick: { type: 'boolean' }, json: { type: 'boolean' }, csv: { type: 'boolean' }, html: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

export const OUTPUT_HELP = `  --quick             a coarse grid that finishes in under a minute
  --json              print every point, the machine, the method and the seeds as one JSON document
  --csv               print one row per point, header first
  --html FILE         write a self-contained HTML report with charts (combines with --json or --csv)
  -h, --help          this help`;

export interface OutputChoice {
  readonly json: boolean;
  readonly csv: boolean;
  /** Absolute path of the HTML report, checked writable up front. */
  readonly html: string | undefined;
}

/** Checks the output flags before anything runs: one of --json and --csv, an --html file whose folder exists. */
export function outputChoice(values: { json?: boolean; csv?: boolean; html?: string }): OutputChoice {
  if (values.json && values.csv) throw new UsageError('--json and --csv both print on stdout: choose one (--html combines with either)');
  let html: string | undefined;
  if (values.html !== undefined) {
    if (values.html.trim() === '') throw new UsageError('--html needs a file name, e.g. --html report.html');
    html = resolve(values.html);
    const dir = dirname(html);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--html ${quote(values.html)}: the folder ${quote(dir)} does not exist: create it, or write the report elsewhere`);
    if (existsSync(html) && statSync(html).isDirectory()) throw new UsageError(`--html ${quote(values.html)} is a folder: name a file, e.g. ${quote(`${values.html.replace(/\/$/, '')}/report.html`)}`);
  }
  return { json: values.json === true, csv: values.csv === true, html };
}

/** "point 4 of 30 (ring 4096 · random), 12 s elapsed, about 40 s left". */
export function progressLine(command: string, p: Progress): string {
  const left = p.remainingMs === undefined ? '' : `, about ${seconds(p.remainingMs)} left`;
  return `${command}: point ${p.done + 1} of ${p.total} (${p.label}), ${seconds(p.elapsedMs)} elapsed${left}`;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : s.toFixed(0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export interface Experiment<R extends { readonly interrupted: boolean }> {
  /** "sweep ring": progress lines and messages start with it. */
  readonly command: string;
  readonly run: (signal: AbortSignal, onProgress: (p: Progress) => void) => Promise<R>;
  readonly text: (r: R) => string;
  readonly csv: (r: R) => { header: readonly string[]; rows: readonly (readonly CsvCell[])[] };
  readonly document: (r: R) => ReportDocument;
  /** Whether anything failed (a thread, a trial, a point): exit 1. */
  readonly failed: (r: R) => boolean;
}

export async function runExperiment<R extends { readonly interrupted: boolean }>(io: Io, out: OutputChoice, e: Experiment<R>): Promise<number> {
  const progress = progressWriter(io, out.json || out.csv);
  let last: Progress | undefined;
  // A second Ctrl-C does not wait for the experiment to stop: it says how far it had got.
  io.keepPartial?.(() => `\ninterrupted twice (Ctrl-C): exited at once; ${last ? `${last.done} of ${last.total} points had finished` : 'no point had finished'}, and no report was written\n`);
  const result = await e.run(io.signal, (p) => {
    last = p;
    progress(progressLine(e.command, p));
  });
  if (out.csv) {
    const { header, rows } = e.csv(result);
    io.stdout(toCsv(header, rows));
  } else if (out.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout(e.text(result));
  if (out.html) {
    writeFileSync(out.html, renderHtml(e.document(result)));
    // stdout belongs to the document with --json or --csv.
    (out.json || out.csv ? io.stderr : io.stdout)(`report: ${out.html}\n`);
  }
  if (result.interrupted) {
    io.stderr(`${e.command}: interrupted (Ctrl-C): ${last ? `${last.done} of ${last.total} points finished` : 'no point finished'}; what finished is above${out.html ? ' and in the report' : ''}\n`);
    return EXIT.interrupted;
  }
  return e.failed(result) ? EXIT.failed : EXIT.ok;
}

/** A comma-separated flag value: `--sizes 256,1024`. */
export function listFlag(flag: string, text: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`${flag} must be a comma-separated list with no empty item, got ${quote(text)}`);
  return items;
}

/**
 * A library message in the command line's terms: "sizes[2] must be ..." reads "--sizes (item 3)
 * must be ...", "memory must be ..." reads "--mem must be ...".
 */
export function inFlags(message: string, flags: Readonly<Record<string, string>>): string {
  const names = Object.keys(flags).sort((a, b) => b.length - a.length).map((k) => k.replace(/[.[\]]/g, '\\$&'));
  const re = new RegExp(`(?<![\\w.-])(${names.join('|')})(?:\\[(\\d+)\\])?(?![\\w-])`, 'g');
  return message.replace(re, (_, name: string, index: string | undefined) => `${flags[name]!}${index === undefined ? '' : ` (item ${Number(index) + 1})`}`);
}
