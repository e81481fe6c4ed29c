/** `dirtylog bench kvm`: each operation on this machine's real KVM beside the engine's; --calibrate prints this host's kernel costs. */
import { loadavg } from 'node:os';
import { CALIBRATION_OPERATIONS, KVM_OPERATIONS, kvmBenchReport, runKvmBench, type KvmBenchReport, type KvmBenchRow, type KvmOperation } from '../bench/kvm.ts';
import { ENGINE_KINDS, type EngineKind } from '../engine/exports.ts';
import { calibrationText, formatKvmBench, KVM_BENCH_HEADER, kvmRowLine } from '../report/kvm-bench-table.ts';
import { quote } from '../validate.ts';
import { EXIT, UsageError, exitStatusHelp, progressWriter, type Io } from './command.ts';
import { noPositionals, numberFlag, parseFlags } from './flags.ts';

export const KVM_HELP = `usage: dirtylog bench kvm [options]

Times each dirty-tracking operation on this machine's /dev/kvm and the same operation in the
engine, the same way (same workload, same sizes), and prints both with their ratio: a first
write to a write-protected page (ring and bitmap modes), a write to an already dirty page,
userspace harvest and KVM_RESET_DIRTY_RINGS per entry (sequential and random offsets), GET
and CLEAR on a 1 GiB slot at 0.01 % and 1 % dirty. Medians and ranges over the repetitions,
with the load average before and after (the machine may be shared). About ten seconds.

options:
  --calibrate         only what the model needs, then this host's faultCostNs and
                      resetCostNs (for dirtylog run --fault-cost/--reset-cost and
                      dirtylog sweep ring --calibrated)
  --operation OP      only this operation (repeatable): ${KVM_OPERATIONS.join(', ')}
  --reps N            repetitions of each operation (default 7)
  --engine E          wasm | js (default wasm)
  --json              print one JSON document (machine, load, method, rows, calibration) on
                      stdout; rows go to stderr as progress when it is a terminal
  -h, --help          this help

${exitStatusHelp('a benchmark failed, or /dev/kvm cannot be used here (the message says why)')}`;

const FLAGS = {
  json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, calibrate: { type: 'boolean' },
  operation: { type: 'string', multiple: true }, reps: { type: 'string' }, engine: { type: 'string' },
} as const;

export async function benchKvm(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('bench kvm', argv, FLAGS);
  if (values.help) {
    io.stdout(KVM_HELP);
    return EXIT.ok;
  }
  noPositionals('bench kvm', positionals);
  for (const op of values.operation ?? []) {
    if (!(KVM_OPERATIONS as readonly string[]).includes(op)) throw new UsageError(`--operation ${quote(op)} is not an operation: use one of ${KVM_OPERATIONS.join(', ')}`);
  }
  if (values.calibrate && values.operation) throw new UsageError('--calibrate measures the operations it needs (first-write-ring, reset-random): drop --operation');
  const reps = values.reps === undefined ? 7 : numberFlag('--reps', values.reps);
  if (!Number.isInteger(reps) || reps < 1 || reps > 1000) throw new UsageError(`--reps must be a whole number from 1 to 1000, got ${quote(values.reps!)}`);
  const engine = values.engine ?? 'wasm';
  if (!(ENGINE_KINDS as readonly string[]).includes(engine)) throw new UsageError(`--engine must be wasm or js, got ${quote(engine)}`);
  const operations = values.calibrate ? CALIBRATION_OPERATIONS : (values.operation as KvmOperation[] | undefined);
  const json = values.json === true;
  const progress = progressWriter(io, json);
  const rows: KvmBenchRow[] = [];
  const print = (r: KvmBenchReport) => {
    if (json) return `${JSON.stringify(r, null, 2)}\n`;
    if (values.calibrate && r.calibration) return `${calibrationText(r.calibration)}\n`;
    return `\n${formatKvmBench(r)}`;
  };
  const loadBefore = loadavg()[0]!;
  io.keepPartial?.(() => print(kvmBenchReport(reps, engine as EngineKind, loadBefore, rows, true)));
  progress(KVM_BENCH_HEADER.join(' | '));
  const report = await runKvmBench({
    reps, engine: engine as EngineKind, signal: io.signal, ...(operations ? { operations } : {}),
    onRow: (row) => {
      rows.push(row);
      progress(kvmRowLine(row).join(' | '));
    },
  });
  io.stdout(print(report));
  return report.interrupted ? EXIT.interrupted : EXIT.ok;
}
