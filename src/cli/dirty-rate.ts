/** `dirtylog dirty-rate`: QEMU's calc-dirty-rate on a running guest, each mode beside the engine's count. */
import { calcDirtyRate, type DirtyRateOptions, type DirtyRateResult } from '../experiments/dirty-rate.ts';
import { DIRTY_RATE_MODES, dirtyRateModes, type DirtyRateMode, type DirtyRateReport } from '../run/dirty-rate.ts';
import type { RunOptions } from '../run/options.ts';
import { dirtyRateHeader, dirtyRateSummary, measurementText } from '../report/dirty-rate-text.ts';
import { MODES } from '../tracking/index.ts';
import { quote } from '../validate.ts';
import { EXIT, UsageError, exitStatusHelp, progressWriter, type Command } from './command.ts';
import { listFlag } from './experiment-output.ts';
import { noPositionals, numberFlag, parseFlags } from './flags.ts';
import { inFlagTerms, ringless } from './run.ts';

const HELP = `usage: dirtylog dirty-rate [options]

Measures the guest's dirty rate as QEMU's calc-dirty-rate does, in each mode the tracking
allows, and beside each the rate the engine counted over the same period (distinct pages
written) and the mode's error against it. Rates in QEMU's units, MB/s (MB = 2^20 bytes), and
pages/s; per vCPU in dirty-ring mode.

modes (--mode):
  page-sampling   hash sample pages before and after the period (any strategy; QEMU's default)
  dirty-ring      count the ring entries harvested from each vCPU (strategies with a ring)
  dirty-bitmap    count the pages of one log sync at the end (strategies without a ring)

options:
  --mode M[,M]        the modes to show (default: page-sampling and the one the strategy allows)
  --strategy S        ring | bitmap | clear-log | ring-with-bitmap (default ring, or bitmap for
                      --mode dirty-bitmap)
  --calc-time MS      the measurement period, 50 to 60000 (default 1000; QEMU's calc-time)
  --sample-pages N    page-sampling: pages sampled per GiB, 128 to 16384 (default 512)
  --measurements N    periods measured one after another (default 1)
  --min-writes N      a period runs on past calc-time until the guest made N writes, for a
                      host too loaded to run the vCPUs (default 0: exactly calc-time)
  --vcpus N           vCPU threads (default 2)
  --mem SIZE          guest memory, up to 1GiB: pages are hashed (default 64MiB)
  --ring ENTRIES      ring size per vCPU (default 4096); ring strategies only
  --pml               Intel PML
  --pattern P         sequential | random | zipf | strided | memstress (default random)
  --hot-pages N       zipf: pages in the hot set (default min(pages, 4096))
  --write-rate N      guest writes per second per vCPU (default unlimited)
  --dirty-limit RATE  QEMU's dirty limit, dirty pages per second per vCPU (ring strategies)
  --seed N            workload and sampling seed (default 1)
  --engine E          wasm | js (default wasm)
  --json              print the whole result as one JSON document
  -h, --help          this help

${exitStatusHelp('a thread failed')}`;

const FLAGS = {
  mode: { type: 'string' }, strategy: { type: 'string' }, 'calc-time': { type: 'string' }, 'sample-pages': { type: 'string' },
  measurements: { type: 'string' }, 'min-writes': { type: 'string' }, vcpus: { type: 'string' }, mem: { type: 'string' }, ring: { type: 'string' }, pml: { type: 'boolean' },
  pattern: { type: 'string' }, 'hot-pages': { type: 'string' }, 'write-rate': { type: 'string' }, 'dirty-limit': { type: 'string' },
  seed: { type: 'string' }, engine: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

/** The library's names as typed here, on top of `dirtylog run`'s. */
const FLAG_OF: Readonly<Record<string, string>> = { calcTimeMs: '--calc-time', samplePages: '--sample-pages', measurements: '--measurements', minWrites: '--min-writes', hotPages: '--hot-pages', dirtyRate: 'dirty-rate' };

function inTerms(message: string): string {
  const named = Object.entries(FLAG_OF).reduce((m, [k, f]) => m.replace(new RegExp(`(?<![\\w.-])${k}(?![\\w-])`, 'g'), f), message);
  return inFlagTerms(named);
}

/** The modes asked for, and the strategy that allows them (QEMU: dirty-ring needs the ring, dirty-bitmap needs it off). */
function modesAndStrategy(mode: string | undefined, strategy: string | undefined): { modes: DirtyRateMode[]; strategy: string } {
  const modes = mode === undefined ? undefined : listFlag('--mode', mode).map((m) => {
    if (!(DIRTY_RATE_MODES as readonly string[]).includes(m)) throw new UsageError(`--mode must be one of ${DIRTY_RATE_MODES.join(', ')}, got ${quote(m)}`);
    return m as DirtyRateMode;
  });
  if (modes?.includes('dirty-ring') && modes.includes('dirty-bitmap')) {
    throw new UsageError('--mode dirty-ring and dirty-bitmap exclude each other (QEMU measures with the ring when it is on, with the bitmap when it is off): run twice, with --strategy ring and --strategy bitmap');
  }
  const s = strategy ?? (modes?.includes('dirty-bitmap') ? 'bitmap' : 'ring');
  const rings = MODES.find((m) => m.name === s)?.usesRing;
  if (rings !== undefined) {
    const refused = modes?.find((m) => !dirtyRateModes(rings).includes(m));
    if (refused) {
      throw new UsageError(`--mode ${refused} is not enabled with --strategy ${s} (QEMU: "mode ${refused} is not enabled, use other method instead"): ${refused === 'dirty-ring' ? 'use --strategy ring' : 'use --strategy bitmap or clear-log'}`);
    }
  }
  return { modes: modes ?? [...DIRTY_RATE_MODES], strategy: s };
}

export const main: Command = async (argv, io) => {
  const { values, positionals } = parseFlags('dirty-rate', argv, FLAGS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  noPositionals('dirty-rate', positionals);
  const { modes, strategy } = modesAndStrategy(values.mode, values.strategy);
  if (values.ring !== undefined && ringless(strategy)) {
    throw new UsageError(`--ring sizes the dirty ring, and --strategy ${strategy} has none: drop --ring, or use --strategy ring`);
  }
  const num = (flag: keyof typeof FLAGS) => numberFlag(`--${flag}`, values[flag] as string);
  const has = (flag: keyof typeof FLAGS) => values[flag] !== undefined;
  const options: DirtyRateOptions = {
    strategy: strategy as RunOptions['strategy'],
    ...(has('calc-time') ? { calcTimeMs: num('calc-time') } : {}),
    ...(has('sample-pages') ? { samplePages: num('sample-pages') } : {}),
    ...(has('measurements') ? { measurements: num('measurements') } : {}),
    ...(has('min-writes') ? { minWrites: num('min-writes') } : {}),
    ...(has('vcpus') ? { vcpus: num('vcpus') } : {}),
    ...(has('mem') ? { memory: values.mem! } : {}),
    ...(has('ring') ? { ringEntries: num('ring') } : {}),
    ...(values.pml ? { pml: true } : {}),
    ...(has('pattern') ? { pattern: values.pattern as RunOptions['pattern'] } : {}),
    ...(has('hot-pages') ? { hotPages: num('hot-pages') } : {}),
    ...(has('write-rate') ? { writeRate: num('write-rate') } : {}),
    ...(has('dirty-limit') ? { dirtyLimit: num('dirty-limit') } : {}),
    ...(has('seed') ? { seed: num('seed') } : {}),
    ...(has('engine') ? { engine: values.engine as RunOptions['engine'] } : {}),
    signal: io.signal,
  };
  const json = values.json === true;
  const progress = progressWriter(io, json);
  const done: DirtyRateReport[] = [];
  io.keepPartial?.(() => (json ? `${JSON.stringify({ kind: 'aborted', exitedAtOnce: true, measurements: done }, null, 2)}\n` : `interrupted twice (Ctrl-C): exited at once after ${done.length} measurement${done.length === 1 ? '' : 's'}\n`));
  const show = (text: string) => (json ? progress(text) : io.stdout(`${text}\n`));
  let result: DirtyRateResult;
  try {
    result = await calcDirtyRate(options, {
      onStart: (o) => show(dirtyRateHeader(o)),
      onMeasurement: (r, i) => {
        done.push(r);
        show(measurementText(r, i, modes));
      },
    });
  } catch (err) {
    // Options are checked before any thread starts: a bad one is a usage error, named as typed.
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(inTerms(err.message));
    throw err;
  }
  if (json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const summary = dirtyRateSummary(result, modes);
    if (summary) io.stdout(`${summary}\n`);
  }
  if (result.kind === 'aborted') return EXIT.interrupted;
  return result.kind === 'failed' ? EXIT.failed : EXIT.ok;
};
