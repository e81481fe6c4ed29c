/** `dirtylog bench engine|transfer|kvm`: the benchmarks, as a table or one JSON document. */
import { engineBenchMethod, runEngineBench, GUESTS, KERNELS, type BenchRow, type EngineBenchReport, type Kernel } from '../bench/engine.ts';
import { ENGINE_HEADER, formatEngineReport, engineRowLine, formatTable } from '../report/engine-table.ts';
import { TRANSFER_GUEST, TRANSFER_SECONDS, runTransferBench, type TransferReport, type TransferRow } from '../bench/transfer.ts';
import { machineInfo } from '../bench/machine.ts';
import { quote } from '../validate.ts';
import { formatDuration } from '../report/units.ts';
import { EXIT, UsageError, exitStatusHelp, progressWriter, type Command, type Io } from './command.ts';
import { numberFlag, parseFlags } from './flags.ts';
import { inFlagTerms } from './run.ts';
import { dirtyRingSize } from '../kvm/dirty-ring-size.ts';
import { RING_PROTOCOLS, type RingProtocol } from '../kvm/ring-protocol.ts';
import { benchKvm } from './bench-kvm.ts';

const STATUS = exitStatusHelp('a benchmark failed');

const HELP = `usage: dirtylog bench <engine|transfer|kvm> [options]

  engine      the engine's kernels, wasm and js side by side (about a minute)
  transfer    ring entries moved between a vCPU thread and the collector thread
  kvm         each operation on this machine's real KVM beside the engine's; --calibrate
              prints the kernel costs that let the model predict it

dirtylog bench engine --help, dirtylog bench transfer --help and dirtylog bench kvm --help
list their options.

${STATUS}`;

const ENGINE_HELP = `usage: dirtylog bench engine [options]

Times the engine's kernels (ring push, harvest, reset; bitmap mark, GET, CLEAR) in the wasm
and js engines side by side, and prints the ratio of their medians. Each cell is a median
and its median absolute deviation, per entry, page or call, in ns, µs, ms or s.

options:
  --full              sample about 10x longer (several minutes)
  --guest SIZE        only this guest size (repeatable): ${GUESTS.map((g) => g.name).join(', ')}
  --kernel K          only this kernel (repeatable): ${KERNELS.join(', ')}
  --density PCT       only this dirty density, in percent (repeatable), e.g. 0.01, 1, 50
  --seed N            fixture seed (default 24301)
  --json              print one JSON document (machine, method, rows) on stdout; rows go to
                      stderr as progress when it is a terminal
  -h, --help          this help

${STATUS}`;

const TRANSFER_HELP = `usage: dirtylog bench transfer [options]

One vCPU thread pushes through the fault path while the collector thread harvests and resets
continuously, at ring sizes 512, 4096 and 65536: entries per second, full exits and stall
time (median and range over the trials).

options:
  --ring ENTRIES      only this ring size (repeatable), a power of two from 256 to 65536
  --ring-protocol P   flags | indices | indices-apart (repeatable; default flags): several are
                      interleaved trial by trial
  --trials N          trials per ring size (default 3)
  --seconds S         seconds per trial (default 3: a worker's JavaScript runs unoptimized for
                      its first 0.1-0.2 s, which a 1 s trial counts against the ring)
  --engine E          wasm | js | both (default wasm)
  --json              print one JSON document on stdout; rows go to stderr as progress when
                      it is a terminal
  -h, --help          this help

${STATUS}`;

const COMMON = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
const ENGINE_FLAGS = {
  ...COMMON,
  full: { type: 'boolean' }, guest: { type: 'string', multiple: true }, kernel: { type: 'string', multiple: true },
  density: { type: 'string', multiple: true }, seed: { type: 'string' },
} as const;
const TRANSFER_FLAGS = { ...COMMON, ring: { type: 'string', multiple: true }, 'ring-protocol': { type: 'string', multiple: true }, trials: { type: 'string' }, seconds: { type: 'string' }, engine: { type: 'string' } } as const;

export const main: Command = async (argv, io) => {
  const [suite, ...rest] = argv;
  if (suite === 'engine') return engine(rest, io);
  if (suite === 'transfer') return transfer(rest, io);
  if (suite === 'kvm') return benchKvm(rest, io);
  if (suite === '--help' || suite === '-h') {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (suite === undefined) {
    io.stderr(HELP);
    return EXIT.usage;
  }
  throw new UsageError(`unknown benchmark ${quote(suite)}: use dirtylog bench engine, transfer or kvm`);
};

async function engine(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('bench engine', argv, ENGINE_FLAGS);
  if (values.help) {
    io.stdout(ENGINE_HELP);
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`unexpected argument ${quote(positionals[0]!)}: see dirtylog bench engine --help`);
  for (const g of values.guest ?? []) {
    if (!GUESTS.some((x) => x.name === g)) throw new UsageError(`--guest ${quote(g)} is not a benchmark guest: use one of ${GUESTS.map((x) => x.name).join(', ')}`);
  }
  for (const k of values.kernel ?? []) {
    if (!(KERNELS as readonly string[]).includes(k)) throw new UsageError(`--kernel ${quote(k)} is not a kernel: use one of ${KERNELS.join(', ')}`);
  }
  const densities = values.density?.map((d) => {
    const pct = numberFlag('--density', d);
    if (!(pct > 0 && pct <= 100)) throw new UsageError(`--density must be a percentage in (0, 100], e.g. 1 for 1%, got ${quote(d)}`);
    return pct / 100;
  });
  const seed = values.seed === undefined ? undefined : numberFlag('--seed', values.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got ${quote(values.seed!)}`);
  const json = values.json === true;
  const progress = progressWriter(io, json);
  const options = {
    full: values.full === true,
    ...(values.guest ? { guests: values.guest } : {}),
    ...(values.kernel ? { kernels: values.kernel as Kernel[] } : {}),
    ...(densities ? { densities } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
  const rows: BenchRow[] = [];
  const print = (report: EngineBenchReport) => (json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatEngineReport(report)}`);
  io.keepPartial?.(() => print({ kind: 'engine-bench', date: new Date().toISOString(), machine: machineInfo(), method: engineBenchMethod(options), rows, interrupted: true }));
  progress(ENGINE_HEADER.join(' | '));
  const report = await runEngineBench({
    ...options,
    signal: io.signal,
    onRow: (row) => {
      rows.push(row);
      progress(engineRowLine(row).join(' | '));
    },
  });
  io.stdout(print(report));
  return report.interrupted ? EXIT.interrupted : EXIT.ok;
}

const TRANSFER_HEADER = ['ring', 'protocol', 'engine', 'M entries/s median (range)', 'full exits/s', 'vCPU stall', 'stall per exit (median)', 'p99', 'looks/entry'];

function transferLine(r: TransferRow): string[] {
  const m = r.mEntriesPerSecond;
  return [
    String(r.ringEntries),
    r.protocol,
    r.engine,
    `${m.median.toFixed(1)} (${m.min.toFixed(1)}-${m.max.toFixed(1)})`,
    Math.round(r.fullExitsPerSecond.median).toLocaleString('en-US'),
    `${(100 * r.stallShare.median).toFixed(0)}%`,
    `${r.stallPerExitUs.median.toFixed(1)} µs`,
    formatDuration(r.stallPerExitP99Us.median / 1000),
    r.looksPerEntry.median.toFixed(3),
  ];
}

function transferText(report: TransferReport): string {
  const done = report.rows.length;
  const note = report.interrupted ? `\ninterrupted (Ctrl-C): only the ${done} row${done === 1 ? '' : 's'} above finished\n` : '';
  return `\n${formatTable(TRANSFER_HEADER, report.rows.map(transferLine))}\n${note}`;
}

async function transfer(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('bench transfer', argv, TRANSFER_FLAGS);
  if (values.help) {
    io.stdout(TRANSFER_HELP);
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`unexpected argument ${quote(positionals[0]!)}: see dirtylog bench transfer --help`);
  const trials = values.trials === undefined ? 3 : numberFlag('--trials', values.trials);
  if (!Number.isInteger(trials) || trials < 1) throw new UsageError(`--trials must be a whole number of at least 1, got ${quote(values.trials!)}`);
  const seconds = values.seconds === undefined ? TRANSFER_SECONDS : numberFlag('--seconds', values.seconds);
  if (!(seconds > 0 && seconds <= 600)) throw new UsageError(`--seconds must be between 0 and 600, got ${quote(values.seconds!)}`);
  const e = values.engine ?? 'wasm';
  if (!['wasm', 'js', 'both'].includes(e)) throw new UsageError(`--engine must be wasm, js or both, got ${quote(e)}`);
  const sizes = values.ring?.map((v) => {
    const n = numberFlag('--ring', v);
    try {
      dirtyRingSize(n, false);
    } catch (err) {
      throw new UsageError(inFlagTerms((err as Error).message));
    }
    return n;
  });
  const protocols = values['ring-protocol']?.map((p) => {
    if (!(RING_PROTOCOLS as readonly string[]).includes(p)) throw new UsageError(`--ring-protocol must be one of ${RING_PROTOCOLS.join(', ')}, got ${quote(p)}`);
    return p as RingProtocol;
  });
  const json = values.json === true;
  const progress = progressWriter(io, json);
  const rows: TransferRow[] = [];
  const method = { secondsPerTrial: seconds, trials, guest: TRANSFER_GUEST };
  const print = (report: TransferReport) => (json ? `${JSON.stringify(report, null, 2)}\n` : transferText(report));
  io.keepPartial?.(() => print({ kind: 'transfer-bench', date: new Date().toISOString(), machine: machineInfo(), method, rows, interrupted: true }));
  progress(TRANSFER_HEADER.join(' | '));
  const report = await runTransferBench({
    ...(sizes ? { sizes } : {}), ...(protocols ? { protocols } : {}), trials, seconds, engines: e === 'both' ? ['wasm', 'js'] : [e as 'wasm' | 'js'], signal: io.signal,
    onRow: (r) => {
      rows.push(r);
      progress(transferLine(r).join(' | '));
    },
  });
  io.stdout(print(report));
  return report.interrupted ? EXIT.interrupted : EXIT.ok;
}
