/** `dirtylog run`: one workload under one strategy, printed like dirty_log_test. */
import { startRun } from '../run/run.ts';
import type { IterationReport, RunResult } from '../run/run.ts';
import type { RunOptions } from '../run/options.ts';
import { MODES } from '../tracking/index.ts';
import { iterationLine, partialRunSummary, runHeader, runSummary } from '../report/run-text.ts';
import { EXIT, UsageError, exitStatusHelp, progressWriter, type Command } from './command.ts';
import { noPositionals, numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: dirtylog run --strategy S [options]

Runs vCPU threads writing guest memory and a collector thread harvesting it, in iterations
(run, collect while running, stop, collect, verify), and prints each iteration.

options:
  --strategy S        ring | bitmap | clear-log | ring-with-bitmap   (required)
  --backend B         model | kvm (default model): kvm runs a native guest per vCPU thread on
                      this machine's /dev/kvm (ring, bitmap and clear-log; x86 has no
                      ring-with-bitmap)
  --vcpus N           vCPUs (default 2, at most 4096)
  --vcpus-per-thread N  vCPUs each worker thread time-slices (default: one per thread up to
                      64 vCPUs, then ceil(vcpus / 64) so there are at most 64 threads)
  --mem SIZE          guest memory, e.g. 64MiB, 512M, 1G, 256GiB (default 64MiB; binary suffixes, as QEMU's -m)
  --ring ENTRIES      ring size per vCPU, a power of two (default 4096); ring strategies only
  --ring-protocol P   flags | indices | indices-apart (default flags, KVM's): per-entry DIRTY and
                      RESET flags, or the 2019 RFC's shared avail/fetch indices, in one cache
                      line or 64 bytes apart; ring strategies only
  --pml               Intel PML: a 512-entry log per vCPU, drained at exits
  --pattern P         sequential | random | zipf | strided | memstress (default random)
  --seed N            workload seed (default 1)
  --write-rate N      guest writes per second per vCPU (default unlimited)
  --dirty-limit RATE  QEMU's dirty limit: dirty pages per second per vCPU; a vCPU over it is
                      held after each ring-full exit (ring strategies only)
  --dirty-limit-period MS
                      how often the limit measures each vCPU and adjusts its hold (1-1000,
                      default 1000, QEMU's x-vcpu-dirty-limit-period)
  --seconds S         run length (default 1)
  --iterations N      stop after N iterations
  --interval MS       iteration length (default 100)
  --reap-interval MS  the reaper's period (default 1000, as QEMU)
  --engine E          wasm | js (default wasm)
  --verify            stamp pages and check every page after every iteration (mem <= 1GiB)
  --fault-cost NS     model: ns each vCPU spends per page it logs, on top of the engine's (the
                      kernel's fault cost: dirtylog bench kvm --calibrate prints this host's)
  --reset-cost NS     model: ns the collector spends per ring entry it resets, likewise
  --json              print the whole result as one JSON document (iterations go to stderr
                      as progress when it is a terminal)
  -h, --help          this help

${exitStatusHelp('a thread failed, or --verify found a page the collector missed')}`;

const FLAGS = {
  strategy: { type: 'string' }, vcpus: { type: 'string' }, 'vcpus-per-thread': { type: 'string' }, mem: { type: 'string' }, ring: { type: 'string' },
  'ring-protocol': { type: 'string' }, pml: { type: 'boolean' }, pattern: { type: 'string' }, seed: { type: 'string' }, 'write-rate': { type: 'string' },
  'dirty-limit': { type: 'string' }, 'dirty-limit-period': { type: 'string' },
  seconds: { type: 'string' }, iterations: { type: 'string' }, interval: { type: 'string' }, 'reap-interval': { type: 'string' },
  engine: { type: 'string' }, verify: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  backend: { type: 'string' }, 'fault-cost': { type: 'string' }, 'reset-cost': { type: 'string' },
} as const;

/** The library's option names as the user typed them, so an error names a flag that exists. */
const FLAG_OF: Readonly<Record<string, string>> = {
  'dirtyRing.entries': '--ring', ringEntries: '--ring', memory: '--mem', intervalMs: '--interval',
  reapIntervalMs: '--reap-interval', writeRate: '--write-rate', dirtyLimit: '--dirty-limit', dirtyLimitPeriodMs: '--dirty-limit-period', vcpus: '--vcpus', vcpusPerThread: '--vcpus-per-thread', seconds: '--seconds',
  iterations: '--iterations', seed: '--seed', pattern: '--pattern', strategy: '--strategy', engine: '--engine',
  verify: '--verify', pml: '--pml', ringProtocol: '--ring-protocol', backend: '--backend', faultCostNs: '--fault-cost', resetCostNs: '--reset-cost',
};
const OPTION_NAME = new RegExp(`(?<![\\w.-])(${Object.keys(FLAG_OF).map((k) => k.replace('.', '\\.')).join('|')})(?![\\w-])`, 'g');

/** A library error message in the command line's terms: "intervalMs must be ..." reads "--interval must be ...". */
export function inFlagTerms(message: string): string {
  return message.replace(OPTION_NAME, (name) => FLAG_OF[name]!);
}

/** Whether --strategy names a mode without a dirty ring: --ring has nothing to size. (An unknown strategy is the library's to name.) */
export const ringless = (strategy: string): boolean => MODES.some((m) => m.name === strategy && !m.usesRing);

export const main: Command = async (argv, io) => {
  const { values, positionals } = parseFlags('run', argv, FLAGS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  noPositionals('run', positionals);
  if (!values.strategy) throw new UsageError(`--strategy is required: ${MODES.map((m) => m.name).join(', ')}`);
  const what = { ring: 'sizes the dirty ring', 'ring-protocol': 'chooses how the dirty ring is shared' } as const;
  for (const flag of ['ring', 'ring-protocol'] as const) {
    if (values[flag] !== undefined && ringless(values.strategy)) {
      throw new UsageError(`--${flag} ${what[flag]}, and --strategy ${values.strategy} has none: drop --${flag}, or use --strategy ring or ring-with-bitmap`);
    }
  }
  const num = (flag: keyof typeof FLAGS, v: string) => numberFlag(`--${flag}`, v);
  const options: RunOptions = {
    strategy: values.strategy as RunOptions['strategy'],
    ...(values.engine !== undefined ? { engine: values.engine as RunOptions['engine'] } : {}),
    ...(values.vcpus !== undefined ? { vcpus: num('vcpus', values.vcpus) } : {}),
    ...(values['vcpus-per-thread'] !== undefined ? { vcpusPerThread: num('vcpus-per-thread', values['vcpus-per-thread']) } : {}),
    ...(values.mem !== undefined ? { memory: values.mem } : {}),
    ...(values.ring !== undefined ? { ringEntries: num('ring', values.ring) } : {}),
    ...(values['ring-protocol'] !== undefined ? { ringProtocol: values['ring-protocol'] as RunOptions['ringProtocol'] } : {}),
    ...(values.pml ? { pml: true } : {}),
    ...(values.pattern !== undefined ? { pattern: values.pattern as RunOptions['pattern'] } : {}),
    ...(values.seed !== undefined ? { seed: num('seed', values.seed) } : {}),
    ...(values['write-rate'] !== undefined ? { writeRate: num('write-rate', values['write-rate']) } : {}),
    ...(values['dirty-limit'] !== undefined ? { dirtyLimit: num('dirty-limit', values['dirty-limit']) } : {}),
    ...(values['dirty-limit-period'] !== undefined ? { dirtyLimitPeriodMs: num('dirty-limit-period', values['dirty-limit-period']) } : {}),
    ...(values.seconds !== undefined ? { seconds: num('seconds', values.seconds) } : {}),
    ...(values.iterations !== undefined ? { iterations: num('iterations', values.iterations) } : {}),
    ...(values.interval !== undefined ? { intervalMs: num('interval', values.interval) } : {}),
    ...(values['reap-interval'] !== undefined ? { reapIntervalMs: num('reap-interval', values['reap-interval']) } : {}),
    ...(values.verify ? { verify: true } : {}),
    ...(values.backend !== undefined ? { backend: values.backend as RunOptions['backend'] } : {}),
    ...(values['fault-cost'] !== undefined ? { faultCostNs: num('fault-cost', values['fault-cost']) } : {}),
    ...(values['reset-cost'] !== undefined ? { resetCostNs: num('reset-cost', values['reset-cost']) } : {}),
    signal: io.signal,
  };
  let run;
  try {
    run = startRun(options);
  } catch (err) {
    // Options are checked before any thread starts: a bad one is a usage error, named as typed.
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(inFlagTerms(err.message));
    throw err;
  }
  const json = values.json === true;
  const progress = progressWriter(io, json);
  const iterations: IterationReport[] = [];
  let resolved: RunResult['options'] | undefined;
  run.on('started', (e) => {
    resolved = e.options;
    if (json) progress(runHeader(e));
    else io.stdout(`${runHeader(e)}\n`);
  });
  run.on('iteration', (e) => {
    iterations.push(e.report);
    if (json) progress(iterationLine(e.report));
    else io.stdout(`${iterationLine(e.report)}\n`);
  });
  io.keepPartial?.(() => (json ? `${JSON.stringify({ kind: 'aborted', exitedAtOnce: true, options: resolved, iterations }, null, 2)}\n` : `${partialRunSummary(iterations)}\n`));
  const result = await run.result;
  io.stdout(json ? `${JSON.stringify(result, null, 2)}\n` : `${runSummary(result)}\n`);
  if (result.kind === 'aborted') return EXIT.interrupted;
  return result.kind === 'failed' || result.verification.kind === 'failed' ? EXIT.failed : EXIT.ok;
};
