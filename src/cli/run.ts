/** `dirtylog run`: one workload under one strategy, printed like dirty_log_test. */
import { parseArgs } from 'node:util';
import { startRun } from '../run/run.ts';
import type { RunOptions } from '../run/options.ts';
import { iterationLine, runHeader, runSummary } from '../report/run-text.ts';
import { UsageError, type Command } from './command.ts';

const HELP = `usage: dirtylog run --strategy S [options]

Runs vCPU threads writing guest memory and a collector thread harvesting it, in iterations
(run, collect while running, stop, collect, verify), and prints each iteration.

options:
  --strategy S        ring | bitmap | clear-log | ring-with-bitmap   (required)
  --vcpus N           vCPU threads (default 2)
  --mem SIZE          guest memory, e.g. 64MiB, 1GiB, 256GiB (default 64MiB)
  --ring ENTRIES      ring size per vCPU, a power of two (default 4096)
  --pml               Intel PML: a 512-entry log per vCPU, drained at exits
  --pattern P         sequential | random | zipf | strided | memstress (default random)
  --seed N            workload seed (default 1)
  --write-rate N      guest writes per second per vCPU (default unlimited)
  --seconds S         run length (default 1)
  --iterations N      stop after N iterations
  --interval MS       iteration length (default 100)
  --reap-interval MS  the reaper's period (default 1000, as QEMU)
  --engine E          wasm | js (default wasm)
  --verify            stamp pages and check every page after every iteration (mem <= 1GiB)
  --json              print the whole result as one JSON document
  -h, --help          this help

exit status: 0 completed (and verified with --verify), 1 a thread failed or verification
failed, 130 interrupted (partial results printed).
`;

export const main: Command = async (argv, io) => {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      strategy: { type: 'string' }, vcpus: { type: 'string' }, mem: { type: 'string' }, ring: { type: 'string' },
      pml: { type: 'boolean' }, pattern: { type: 'string' }, seed: { type: 'string' }, 'write-rate': { type: 'string' },
      seconds: { type: 'string' }, iterations: { type: 'string' }, interval: { type: 'string' }, 'reap-interval': { type: 'string' },
      engine: { type: 'string' }, verify: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument '${String(positionals[0])}': see dirtylog run --help`);
  if (!values.strategy) throw new UsageError('--strategy is required: ring, bitmap, clear-log or ring-with-bitmap');
  const num = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isFinite(x)) throw new UsageError(`--${flag} must be a number, got '${v}'`);
    return x;
  };
  const options: RunOptions = {
    strategy: values.strategy as RunOptions['strategy'],
    ...(values.engine !== undefined ? { engine: values.engine as RunOptions['engine'] } : {}),
    ...(values.vcpus !== undefined ? { vcpus: num('vcpus', values.vcpus)! } : {}),
    ...(values.mem !== undefined ? { memory: values.mem } : {}),
    ...(values.ring !== undefined ? { ringEntries: num('ring', values.ring)! } : {}),
    ...(values.pml ? { pml: true } : {}),
    ...(values.pattern !== undefined ? { pattern: values.pattern as RunOptions['pattern'] } : {}),
    ...(values.seed !== undefined ? { seed: num('seed', values.seed)! } : {}),
    ...(values['write-rate'] !== undefined ? { writeRate: num('write-rate', values['write-rate'])! } : {}),
    ...(values.seconds !== undefined ? { seconds: num('seconds', values.seconds)! } : {}),
    ...(values.iterations !== undefined ? { iterations: num('iterations', values.iterations)! } : {}),
    ...(values.interval !== undefined ? { intervalMs: num('interval', values.interval)! } : {}),
    ...(values['reap-interval'] !== undefined ? { reapIntervalMs: num('reap-interval', values['reap-interval'])! } : {}),
    ...(values.verify ? { verify: true } : {}),
    signal: io.signal,
  };
  const run = startRun(options);
  if (!values.json) {
    run.on('started', (e) => io.stdout(`${runHeader(e)}\n`));
    run.on('iteration', (e) => io.stdout(`${iterationLine(e.report)}\n`));
  }
  const result = await run.result;
  io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${runSummary(result)}\n`);
  if (result.kind === 'aborted') return 130;
  return result.kind === 'failed' || result.verification.kind === 'failed' ? 1 : 0;
};
