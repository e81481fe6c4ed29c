/** `dirtylog sweep ring|guest`: the sweeps of src/experiments, printed as text, JSON or CSV, with an HTML report. */
import { guestSweepGrid, sweepGuest, type GuestSweepOptions, type GuestSweepResult } from '../experiments/guest-sweep.ts';
import { ringSweepGrid, sweepRing, type RingSweepOptions, type RingSweepResult } from '../experiments/ring-sweep.ts';
import { guestSweepCsv, guestSweepSection, guestSweepText } from '../report/guest-sweep-report.ts';
import { ringSweepCsv, ringSweepSection, ringSweepText } from '../report/ring-sweep-report.ts';
import { quote } from '../validate.ts';
import type { EngineKind } from '../engine/exports.ts';
import type { BackendKind } from '../backend/backend.ts';
import { KvmUnavailableError } from '../backend/kvm/index.ts';
import type { Pattern } from '../vcpu/workload.ts';
import { CommandFailed, EXIT, UsageError, exitStatusHelp, type Command, type Io } from './command.ts';
import { inFlags, listFlag, OUTPUT_FLAGS, OUTPUT_HELP, outputChoice, runExperiment } from './experiment-output.ts';
import { noPositionals, numberFlag, parseFlags } from './flags.ts';

const STATUS = exitStatusHelp('a run or a point failed (named in the output)');

const HELP = `usage: dirtylog sweep <ring|guest> [options]

  ring        ring sizes 256 (1024 with PML) to 65536 crossed with workloads: throughput,
              exits, stalls, per-entry costs, against this machine's cache sizes
  guest       per-sync cost of ring, bitmap and clear-log from 1 GiB to 16 TiB, at a fixed
              dirty count and a fixed dirty fraction; growth laws and the crossover

dirtylog sweep ring --help and dirtylog sweep guest --help list their options.

${STATUS}`;

const RING_HELP = `usage: dirtylog sweep ring [options]

Runs the dirty ring at every size from 256 entries (1024 with PML) to 65536, by powers of two,
crossed with workloads, each point a threaded run repeated over trials (interleaved). Reports
guest writes/s, dirty pages/s, full exits/s, vCPU stall share, harvest and reset ns per entry
and collector CPU time per point; per workload the knee, the best size and why, and whether
they sit where the rings (entries x 16 B x vCPUs) fill L1d, L2 or L3 (read from sysfs).
The full grid (3 patterns x 9 sizes x 3 trials of 1 s) takes about two minutes.

options:
  --sizes LIST        ring sizes in entries, e.g. 256,4096,65536 (default: every power of two)
  --pattern LIST      workload patterns: sequential,random,zipf,strided,memstress
                      (default sequential,random,zipf; --quick: random,zipf)
  --vcpus LIST        vCPU counts, e.g. 1,2,4 (default 2)
  --write-rate LIST   guest writes per second per vCPU, 0 = unlimited (default 0)
  --pml MODE          Intel PML: off, on or both (default off); with PML rings start at 1024
  --mem SIZE          guest memory, tracking only (default 1GiB)
  --trials N          runs per point (default 3)
  --seconds S         length of each run (default 1; --quick: 0.3)
  --interval MS       iteration length (default 100)
  --seed N            seed of every point's first trial; trial t uses seed + t (default 1)
  --engine E          wasm | js (default wasm)
  --backend B         model | kvm (default model). kvm: every workload on this machine's
                      /dev/kvm and, on the same grid, on the model and on the calibrated
                      model; the report draws the three on the same axes with each model's
                      error against the kernel
  --calibrated        the model pays this host's kernel costs per logged page and per reset
                      entry, measured on /dev/kvm before the sweep (dirtylog bench kvm
                      --calibrate), or as given by --fault-cost and --reset-cost
  --fault-cost NS     the calibrated model's cost per logged page, in ns
  --reset-cost NS     the calibrated model's cost per reset entry, in ns
${OUTPUT_HELP}

${STATUS}`;

const GUEST_HELP = `usage: dirtylog sweep guest [options]

Measures what one sync costs the VMM (reaps on full rings plus the sync itself) as the guest
grows from 1 GiB to 16 TiB (tracking only), under ring, bitmap and clear-log, (a) with a fixed
number of dirty pages per sync and (b) with a fixed fraction of the guest dirty. Fits a growth
law per mode (cost = c x GiB^k) and reports the crossover: the guest size above which the ring
is cheaper, for that dirty count. 16 TiB takes three memslots (KVM's limit is just under 8 TiB
each). The full grid (15 sizes) takes about a minute and a half.

options:
  --sizes LIST        guest sizes, e.g. 1GiB,64GiB,1TiB,16TiB (default 1GiB to 16TiB by powers
                      of two; --quick: 1GiB,32GiB,1TiB,16TiB)
  --strategy LIST     tracking modes (default ring,bitmap,clear-log)
  --dirty-pages N     (a) dirty pages per sync (default 16384)
  --dirty-fraction P  (b) percent of the guest dirty per sync (default 0.01, at most 1)
  --trials N          syncs measured per point and regime (default 5; --quick: 3)
  --vcpus N           vCPUs whose rings take the writes (default 2)
  --ring ENTRIES      ring size per vCPU (default 4096)
  --seed N            page-choice seed (default 1)
  --engine E          wasm | js (default wasm)
${OUTPUT_HELP}

${STATUS}`;

const RING_FLAGS = {
  ...OUTPUT_FLAGS, sizes: { type: 'string' }, pattern: { type: 'string' }, vcpus: { type: 'string' }, 'write-rate': { type: 'string' },
  pml: { type: 'string' }, mem: { type: 'string' }, trials: { type: 'string' }, seconds: { type: 'string' }, interval: { type: 'string' },
  seed: { type: 'string' }, engine: { type: 'string' }, backend: { type: 'string' }, calibrated: { type: 'boolean' },
  'fault-cost': { type: 'string' }, 'reset-cost': { type: 'string' },
} as const;

const GUEST_FLAGS = {
  ...OUTPUT_FLAGS, sizes: { type: 'string' }, strategy: { type: 'string' }, 'dirty-pages': { type: 'string' }, 'dirty-fraction': { type: 'string' },
  trials: { type: 'string' }, vcpus: { type: 'string' }, ring: { type: 'string' }, seed: { type: 'string' }, engine: { type: 'string' },
} as const;

const RING_TERMS = {
  sizes: '--sizes', patterns: '--pattern', vcpus: '--vcpus', writeRates: '--write-rate', pml: '--pml', memory: '--mem', trials: '--trials',
  seconds: '--seconds', intervalMs: '--interval', seed: '--seed', engine: '--engine', ringEntries: '--sizes', backend: '--backend',
  calibrated: '--calibrated', 'costs.faultCostNs': '--fault-cost', 'costs.resetCostNs': '--reset-cost', costs: '--fault-cost and --reset-cost',
};
const GUEST_TERMS = {
  sizes: '--sizes', strategies: '--strategy', strategy: '--strategy', dirtyPages: '--dirty-pages', dirtyFraction: '--dirty-fraction', trials: '--trials',
  vcpus: '--vcpus', ringEntries: '--ring', seed: '--seed', engine: '--engine',
};

export const main: Command = async (argv, io) => {
  const [kind, ...rest] = argv;
  if (kind === 'ring') return ring(rest, io);
  if (kind === 'guest') return guest(rest, io);
  if (kind === '--help' || kind === '-h') {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (kind === undefined) {
    io.stderr(HELP);
    return EXIT.usage;
  }
  throw new UsageError(`unknown sweep ${quote(kind)}: use dirtylog sweep ring or dirtylog sweep guest`);
};

/** Library checks run before anything starts: their errors are usage errors, named as the flags. */
function checked<T>(terms: Record<string, string>, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(inFlags(err.message, terms));
    throw err;
  }
}

const numbers = (flag: string, text: string | undefined) => (text === undefined ? undefined : listFlag(flag, text).map((t) => numberFlag(flag, t)));

function pmlList(text: string | undefined): boolean[] | undefined {
  if (text === undefined) return undefined;
  const m = ({ off: [false], on: [true], both: [false, true] } as const)[text as 'off'];
  if (!m) throw new UsageError(`--pml must be off, on or both, got ${quote(text)}`);
  return [...m];
}

async function ring(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('sweep ring', argv, RING_FLAGS);
  if (values.help) {
    io.stdout(RING_HELP);
    return EXIT.ok;
  }
  noPositionals('sweep ring', positionals);
  const out = outputChoice(values);
  const one = (flag: string, text: string | undefined) => (text === undefined ? undefined : numberFlag(flag, text));
  const options: RingSweepOptions = {
    quick: values.quick === true,
    ...(values.sizes !== undefined ? { sizes: numbers('--sizes', values.sizes) } : {}),
    ...(values.pattern !== undefined ? { patterns: listFlag('--pattern', values.pattern) as Pattern[] } : {}),
    ...(values.vcpus !== undefined ? { vcpus: numbers('--vcpus', values.vcpus) } : {}),
    ...(values['write-rate'] !== undefined ? { writeRates: numbers('--write-rate', values['write-rate']) } : {}),
    ...(values.pml !== undefined ? { pml: pmlList(values.pml) } : {}),
    ...(values.mem !== undefined ? { memory: values.mem } : {}),
    ...(values.trials !== undefined ? { trials: one('--trials', values.trials) } : {}),
    ...(values.seconds !== undefined ? { seconds: one('--seconds', values.seconds) } : {}),
    ...(values.interval !== undefined ? { intervalMs: one('--interval', values.interval) } : {}),
    ...(values.seed !== undefined ? { seed: one('--seed', values.seed) } : {}),
    ...(values.engine !== undefined ? { engine: values.engine as EngineKind } : {}),
    ...(values.backend !== undefined ? { backend: values.backend as BackendKind } : {}),
    ...(values.calibrated ? { calibrated: true } : {}),
    ...ringCosts(values['fault-cost'], values['reset-cost']),
  };
  // The grid and every point's run options are checked here, before the first run.
  checked(RING_TERMS, () => ringSweepGrid(options));
  return runExperiment<RingSweepResult>(io, out, {
    command: 'sweep ring',
    run: async (signal, onProgress) => {
      try {
        return await sweepRing({ ...options, signal, onProgress });
      } catch (err) {
        if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(inFlags(err.message, RING_TERMS));
        if (err instanceof KvmUnavailableError) throw new CommandFailed(`${err.message}${options.backend === 'kvm' ? '' : '; or give the calibrated model its costs: --fault-cost NS --reset-cost NS'}`);
        throw err;
      }
    },
    text: ringSweepText,
    csv: ringSweepCsv,
    document: (r) => ({ title: 'dirtylog: ring size sweep', command: `dirtylog sweep ring ${argv.join(' ')}`.trim(), date: r.date, machine: r.machine, interrupted: r.interrupted, sections: [ringSweepSection(r)] }),
    failed: (r) => r.workloads.some((w) => w.points.some((p) => p.outcome.trials.some((t) => t.kind === 'failed'))),
  });
}

/** --fault-cost and --reset-cost go together: the calibrated model's two costs. */
function ringCosts(fault: string | undefined, reset: string | undefined): Pick<RingSweepOptions, 'costs'> {
  if (fault === undefined && reset === undefined) return {};
  if (fault === undefined || reset === undefined) throw new UsageError(`--fault-cost and --reset-cost go together (dirtylog bench kvm --calibrate prints both): add ${fault === undefined ? '--fault-cost' : '--reset-cost'}`);
  return { costs: { faultCostNs: numberFlag('--fault-cost', fault), resetCostNs: numberFlag('--reset-cost', reset) } };
}

async function guest(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('sweep guest', argv, GUEST_FLAGS);
  if (values.help) {
    io.stdout(GUEST_HELP);
    return EXIT.ok;
  }
  noPositionals('sweep guest', positionals);
  const out = outputChoice(values);
  const one = (flag: string, text: string | undefined) => (text === undefined ? undefined : numberFlag(flag, text));
  const fraction = one('--dirty-fraction', values['dirty-fraction']);
  const options: GuestSweepOptions = {
    quick: values.quick === true,
    ...(values.sizes !== undefined ? { sizes: listFlag('--sizes', values.sizes) } : {}),
    ...(values.strategy !== undefined ? { strategies: listFlag('--strategy', values.strategy) } : {}),
    ...(values['dirty-pages'] !== undefined ? { dirtyPages: one('--dirty-pages', values['dirty-pages']) } : {}),
    // The flag is a percentage (as bench engine's --density); the library takes a share.
    ...(fraction !== undefined ? { dirtyFraction: fraction / 100 } : {}),
    ...(values.trials !== undefined ? { trials: one('--trials', values.trials) } : {}),
    ...(values.vcpus !== undefined ? { vcpus: one('--vcpus', values.vcpus) } : {}),
    ...(values.ring !== undefined ? { ringEntries: one('--ring', values.ring) } : {}),
    ...(values.seed !== undefined ? { seed: one('--seed', values.seed) } : {}),
    ...(values.engine !== undefined ? { engine: values.engine as EngineKind } : {}),
  };
  if (fraction !== undefined && !(fraction > 0 && fraction <= 1)) throw new UsageError(`--dirty-fraction must be a percentage above 0 and at most 1, e.g. 0.01 for 0.01%, got ${quote(values['dirty-fraction']!)}`);
  checked(GUEST_TERMS, () => guestSweepGrid(options));
  return runExperiment<GuestSweepResult>(io, out, {
    command: 'sweep guest',
    run: (signal, onProgress) => sweepGuest({ ...options, signal, onProgress }),
    text: guestSweepText,
    csv: guestSweepCsv,
    document: (r) => ({ title: 'dirtylog: guest size sweep', command: `dirtylog sweep guest ${argv.join(' ')}`.trim(), date: r.date, machine: r.machine, interrupted: r.interrupted, sections: [guestSweepSection(r)] }),
    failed: (r) => r.failures.length > 0 || r.points.some((p) => p.regimes.some((g) => !g.collectedAll)),
  });
}
