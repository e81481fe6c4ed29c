/** `dirtylog bench engine`: the engine micro-benchmarks, as a table or one JSON document. */
import { parseArgs } from 'node:util';
import { runEngineBench, GUESTS, KERNELS, type Kernel } from '../bench/engine.ts';
import { ENGINE_HEADER, formatEngineReport, engineRowLine, formatTable } from '../report/engine-table.ts';
import { runTransferBench, type TransferRow } from '../bench/transfer.ts';
import { UsageError, type Command } from './command.ts';

const HELP = `usage: dirtylog bench engine [options]
       dirtylog bench transfer [--trials N] [--seconds S] [--engine E] [--json]

engine: times the engine's kernels (ring push, harvest, reset; bitmap mark, GET, CLEAR) in
the wasm and js engines side by side, and prints the ratio of their medians.
transfer: one vCPU thread pushes through the fault path while the collector thread harvests
and resets continuously, at ring sizes 512, 4096 and 65536: entries per second, full exits
and stall time (median and range over the trials).

options:
  --full              sample about 10x longer (several minutes)
  --guest SIZE        only this guest size (repeatable): ${GUESTS.map((g) => g.name).join(', ')}
  --kernel K          only this kernel (repeatable): ${KERNELS.join(', ')}
  --density PCT       only this dirty density, in percent (repeatable), e.g. 0.01, 1, 50
  --seed N            fixture seed (default 24301)
  --trials N          transfer: trials per ring size (default 3)
  --seconds S         transfer: seconds per trial (default 1)
  --engine E          transfer: wasm | js | both (default wasm)
  --json              print one JSON document (machine, method, rows) on stdout
  -h, --help          this help
`;

export const main: Command = async (argv, io) => {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      full: { type: 'boolean', default: false },
      guest: { type: 'string', multiple: true },
      kernel: { type: 'string', multiple: true },
      density: { type: 'string', multiple: true },
      seed: { type: 'string' },
      trials: { type: 'string' },
      seconds: { type: 'string' },
      engine: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const [suite = 'engine', ...extra] = positionals;
  if ((suite !== 'engine' && suite !== 'transfer') || extra.length) {
    throw new UsageError(`unknown benchmark suite '${[suite, ...extra].join(' ')}': use 'engine' or 'transfer'`);
  }
  if (suite === 'transfer') return transfer(values, io);
  for (const g of values.guest ?? []) {
    if (!GUESTS.some((x) => x.name === g)) throw new UsageError(`--guest ${g} is not a benchmark guest: use one of ${GUESTS.map((x) => x.name).join(', ')}`);
  }
  for (const k of values.kernel ?? []) {
    if (!(KERNELS as readonly string[]).includes(k)) throw new UsageError(`--kernel ${k} is not a kernel: use one of ${KERNELS.join(', ')}`);
  }
  const densities = values.density?.map((d) => {
    const pct = Number(d);
    if (!Number.isFinite(pct) || pct <= 0 || pct > 100) throw new UsageError(`--density ${d} must be a percentage in (0, 100], e.g. 1 for 1%`);
    return pct / 100;
  });
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed ${values.seed} must be an integer`);
  if (!values.json) io.stderr(`${ENGINE_HEADER.join(' | ')}\n`);
  const report = await runEngineBench({
    full: values.full,
    ...(values.guest ? { guests: values.guest } : {}),
    ...(values.kernel ? { kernels: values.kernel as Kernel[] } : {}),
    ...(densities ? { densities } : {}),
    ...(seed !== undefined ? { seed } : {}),
    signal: io.signal,
    onRow: values.json ? undefined : (row) => io.stderr(`${engineRowLine(row).join(' | ')}\n`),
  });
  io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatEngineReport(report)}`);
  return 0;
};

const TRANSFER_HEADER = ['ring', 'engine', 'M entries/s median (range)', 'full exits/s', 'vCPU stall'];

function transferLine(r: TransferRow): string[] {
  const m = r.mEntriesPerSecond;
  return [
    String(r.ringEntries),
    r.engine,
    `${m.median.toFixed(1)} (${m.min.toFixed(1)}-${m.max.toFixed(1)})`,
    Math.round(r.fullExitsPerSecond.median).toLocaleString('en-US'),
    `${(100 * r.stallShare.median).toFixed(0)}%`,
  ];
}

async function transfer(values: { trials?: string; seconds?: string; engine?: string; json?: boolean }, io: Parameters<Command>[1]): Promise<number> {
  const trials = values.trials === undefined ? 3 : Number(values.trials);
  if (!Number.isInteger(trials) || trials < 1) throw new UsageError(`--trials must be a whole number of at least 1, got ${values.trials}`);
  const seconds = values.seconds === undefined ? 1 : Number(values.seconds);
  if (!(seconds > 0 && seconds <= 600)) throw new UsageError(`--seconds must be between 0 and 600, got ${values.seconds}`);
  const e = values.engine ?? 'wasm';
  if (!['wasm', 'js', 'both'].includes(e)) throw new UsageError(`--engine must be wasm, js or both, got ${e}`);
  const rows: string[][] = [];
  const report = await runTransferBench({
    trials, seconds, engines: e === 'both' ? ['wasm', 'js'] : [e as 'wasm' | 'js'], signal: io.signal,
    onRow: (r) => {
      rows.push(transferLine(r));
      if (!values.json) io.stderr(`${transferLine(r).join(' | ')}\n`);
    },
  });
  io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatTable(TRANSFER_HEADER, rows)}\n`);
  return 0;
}
