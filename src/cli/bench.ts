/** `dirtylog bench engine`: the engine micro-benchmarks, as a table or one JSON document. */
import { parseArgs } from 'node:util';
import { runEngineBench, GUESTS, KERNELS, type Kernel } from '../bench/engine.ts';
import { ENGINE_HEADER, formatEngineReport, engineRowLine } from '../report/engine-table.ts';
import { UsageError, type Command } from './command.ts';

const HELP = `usage: dirtylog bench engine [options]

Times the engine's kernels (ring push, harvest, reset; bitmap mark, GET, CLEAR) in the
wasm and js engines side by side, and prints the ratio of their medians.

options:
  --full              sample about 10x longer (several minutes)
  --guest SIZE        only this guest size (repeatable): ${GUESTS.map((g) => g.name).join(', ')}
  --kernel K          only this kernel (repeatable): ${KERNELS.join(', ')}
  --density PCT       only this dirty density, in percent (repeatable), e.g. 0.01, 1, 50
  --seed N            fixture seed (default 24301)
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
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const [suite = 'engine', ...extra] = positionals;
  if (suite !== 'engine' || extra.length) throw new UsageError(`unknown benchmark suite '${[suite, ...extra].join(' ')}': the suite is 'engine'`);
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
