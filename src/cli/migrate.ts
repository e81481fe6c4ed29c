/**
 * `dirtylog migrate`: a live pre-copy migration of a running guest to a destination over TCP.
 * Without --to it starts its own destination process on loopback; `--listen PORT` is the
 * destination side, `--to HOST:PORT` the source side, for two hosts.
 */
import { writeFileSync } from 'node:fs';
import { machineInfo } from '../bench/machine.ts';
import { listenForMigration } from '../migration/destination.ts';
import { CLOCK_PROTOCOLS, PSCI_HOSTS, UNSAFE_MODELS, UNSAFE_WHAT, type UnsafeModel } from '../migration/vm-state.ts';
import { checkMigrateOptions } from '../migration/options.ts';
import { migrate, type MigrateOptions } from '../migration/source.ts';
import type { MigrationResult } from '../migration/result.ts';
import { spawnDestination, type DestinationSummary, type SpawnedDestination } from '../migration/spawn-destination.ts';
import { migrationDocument, migrationLines, roundLine, destinationLines } from '../report/migration-report.ts';
import { renderHtml } from '../report/html.ts';
import { startVm, type RunningVm, type VmOptions } from '../run/running-vm.ts';
import { parseSize } from '../run/size.ts';
import { quote } from '../validate.ts';
import { EXIT, UsageError, exitStatusHelp, progressWriter, type Command, type Io } from './command.ts';
import { outputChoice } from './experiment-output.ts';
import { noPositionals, numberFlag, parseFlags } from './flags.ts';
import { inFlagTerms, ringless } from './run.ts';
import { resultWithin, settleWithin } from '../run/waits.ts';

const HELP = `usage: dirtylog migrate [options]                       source, with its own destination process on loopback
       dirtylog migrate --to HOST:PORT [options]          source, to a destination started with --listen
       dirtylog migrate --listen PORT [options]           destination: receive one migration, run the guest

Live pre-copy migration, as QEMU does it: setup, a first full pass over guest memory, rounds of
the pages each dirty-log sync reports, stop-and-copy once the expected downtime fits, the VM
state (TSC/kvmclock, VMGenID, PSCI firmware registers, SEV page status), then the guest resumes
on the destination, which compares every page with the source's.

the guest (source):
  --strategy S          ring | bitmap | clear-log | ring-with-bitmap (default ring)
  --mem SIZE            guest memory, at most 1GiB (default 64MiB)
  --vcpus N             vCPU threads (default 2)
  --ring ENTRIES        ring size per vCPU (default 4096); ring strategies only
  --pml                 Intel PML
  --pattern P           sequential | random | zipf | strided | memstress (default random)
  --seed N              workload seed (default 1)
  --write-rate N        guest writes per second per vCPU (default unlimited)
  --engine E            wasm | js (default wasm)
  --verify              check every dirty-log sync against the guest's record of completed writes

the migration (source):
  --to HOST:PORT        the destination (default: start one on loopback)
  --bandwidth RATE      bytes per second, e.g. 1GiB, 100MiB (default 1GiB)
  --max-downtime-ms MS  downtime budget for stop-and-copy (default 300, QEMU's)
  --max-rounds N        rounds before giving up (default 30)
  --auto-converge       throttle the vCPUs when they dirty faster than the link (QEMU: 20%, then +10%)
  --dirty-limit RATE    hold each vCPU to RATE dirty pages per second (QEMU's dirty limit; ring strategies;
                        in force from the start, where QEMU arms it when auto-converge would trigger)
  --dirty-limit-period MS  how often the dirty limit measures and adjusts (default 1000)
  --json                print the whole record as one JSON document
  --html FILE           write the migration's timeline as a self-contained HTML report

the VM state:
  --psci-host NAME      this host's kernel for the PSCI registers: ${PSCI_HOSTS.join(' | ')} (default new)
  --dest-psci-host NAME the spawned destination's (default new); new -> old is refused before any page
  --sev                 model an SEV guest whose pages convert during the migration
  --sev-not-ready       ... that has not set KVM_MIGRATION_READY: refused before any page
  --clock-protocol P    ${CLOCK_PROTOCOLS.join(' | ')}: freeze the guest's timekeeping first (default none)
  --dest-clock-skew-s N the spawned destination's wall clock runs N s ahead (hosts out of sync)
  --unsafe MODELS       deliberately wrong, to show what goes wrong: ${UNSAFE_MODELS.join(', ')} (comma-separated)
${UNSAFE_MODELS.map((m) => `                          ${m}: ${UNSAFE_WHAT[m]}`).join('\n')}

the destination (--listen):
  --listen PORT         receive one migration on PORT (0: any free port, printed)
  --host ADDR           address to listen on (default 127.0.0.1; 0.0.0.0 for another host)
  --clock-skew-s N      this host's wall clock runs N s ahead of the source's
  --run-after-ms MS     how long the migrated guest runs before this command stops it (default 200)
  --accept-timeout-s S  how long to wait for the source (default 60)
  -h, --help            this help

${exitStatusHelp('the migration failed or did not converge (the reason is printed), or a page differs on the destination; with --listen: no migration came, or it failed')}`;

const FLAGS = {
  strategy: { type: 'string' }, mem: { type: 'string' }, vcpus: { type: 'string' }, ring: { type: 'string' }, pml: { type: 'boolean' },
  pattern: { type: 'string' }, seed: { type: 'string' }, 'write-rate': { type: 'string' }, engine: { type: 'string' }, verify: { type: 'boolean' },
  to: { type: 'string' }, bandwidth: { type: 'string' }, 'max-downtime-ms': { type: 'string' }, 'max-rounds': { type: 'string' },
  'auto-converge': { type: 'boolean' }, 'dirty-limit': { type: 'string' }, 'dirty-limit-period': { type: 'string' }, json: { type: 'boolean' }, html: { type: 'string' },
  'psci-host': { type: 'string' }, 'dest-psci-host': { type: 'string' }, sev: { type: 'boolean' }, 'sev-not-ready': { type: 'boolean' },
  'clock-protocol': { type: 'string' }, 'dest-clock-skew-s': { type: 'string' }, unsafe: { type: 'string' },
  listen: { type: 'string' }, host: { type: 'string' }, 'clock-skew-s': { type: 'string' }, 'run-after-ms': { type: 'string' }, 'accept-timeout-s': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>['values'];

const SOURCE_ONLY = ['strategy', 'mem', 'vcpus', 'ring', 'pml', 'pattern', 'seed', 'write-rate', 'engine', 'verify', 'to', 'bandwidth', 'max-downtime-ms', 'max-rounds', 'auto-converge', 'dirty-limit', 'dirty-limit-period', 'html', 'dest-psci-host', 'sev', 'sev-not-ready', 'clock-protocol', 'dest-clock-skew-s', 'unsafe'] as const;
const DESTINATION_ONLY = ['host', 'clock-skew-s', 'run-after-ms', 'accept-timeout-s'] as const;

export const main: Command = async (argv, io) => {
  const { values, positionals } = parseFlags('migrate', argv, FLAGS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  noPositionals('migrate', positionals);
  if (values.listen !== undefined) {
    const wrong = SOURCE_ONLY.find((f) => values[f] !== undefined);
    if (wrong) throw new UsageError(`--${wrong} is the source's, and --listen makes this the destination: drop --${wrong} (the source's setup says what guest to build)`);
    return destination(values, io);
  }
  const wrong = DESTINATION_ONLY.find((f) => values[f] !== undefined);
  if (wrong) throw new UsageError(`--${wrong} is the destination's (with --listen): drop it${wrong === 'clock-skew-s' ? ', or use --dest-clock-skew-s for the spawned destination' : ''}`);
  if (values.to !== undefined && (values['dest-psci-host'] !== undefined || values['dest-clock-skew-s'] !== undefined)) {
    throw new UsageError('--dest-psci-host and --dest-clock-skew-s configure the destination this command starts; with --to, give --psci-host and --clock-skew-s to dirtylog migrate --listen there');
  }
  return source(values, io);
};

const num = (flag: string, v: string | undefined): number | undefined => (v === undefined ? undefined : numberFlag(`--${flag}`, v));

/** A flag in seconds (or ms) checked in the unit it is typed in, before the library sees it in ms. */
function within(flag: string, v: string | undefined, min: number, max: number, unit: string): number | undefined {
  const n = num(flag, v);
  if (n !== undefined && !(n >= min && n <= max)) throw new UsageError(`--${flag} must be from ${min} to ${max} ${unit}, got ${v}`);
  return n;
}

function vmOptions(v: Values): VmOptions {
  const strategy = v.strategy ?? 'ring';
  if (v.ring !== undefined && ringless(strategy)) {
    throw new UsageError(`--ring sizes the dirty ring, and --strategy ${strategy} has none: drop --ring, or use --strategy ring or ring-with-bitmap`);
  }
  return {
    strategy: strategy as VmOptions['strategy'],
    ...(v.mem !== undefined ? { memory: v.mem } : {}),
    ...(v.vcpus !== undefined ? { vcpus: num('vcpus', v.vcpus) } : {}),
    ...(v.ring !== undefined ? { ringEntries: num('ring', v.ring) } : {}),
    ...(v.pml ? { pml: true } : {}),
    ...(v.pattern !== undefined ? { pattern: v.pattern as VmOptions['pattern'] } : {}),
    ...(v.seed !== undefined ? { seed: num('seed', v.seed) } : {}),
    ...(v['write-rate'] !== undefined ? { writeRate: num('write-rate', v['write-rate']) } : {}),
    ...(v['dirty-limit'] !== undefined ? { dirtyLimit: num('dirty-limit', v['dirty-limit']) } : {}),
    ...(v['dirty-limit-period'] !== undefined ? { dirtyLimitPeriodMs: num('dirty-limit-period', v['dirty-limit-period']) } : {}),
    ...(v.engine !== undefined ? { engine: v.engine as VmOptions['engine'] } : {}),
    ...(v.verify ? { verify: true } : {}),
  };
}

function unsafeList(text: string | undefined): UnsafeModel[] {
  if (text === undefined) return [];
  return text.split(',').map((s) => {
    const m = s.trim();
    if (!(UNSAFE_MODELS as readonly string[]).includes(m)) throw new UsageError(`--unsafe must list models among ${UNSAFE_MODELS.join(', ')}, got ${quote(m)}`);
    return m as UnsafeModel;
  });
}

function sizeFlag(flag: string, text: string): number {
  try {
    return parseSize(flag, text);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

async function source(v: Values, io: Io): Promise<number> {
  const out = outputChoice({ json: v.json, html: v.html });
  const psciHost = v['psci-host'];
  const migration: Omit<MigrateOptions, 'vm' | 'to'> = {
    ...(v.bandwidth !== undefined ? { bandwidth: sizeFlag('--bandwidth', v.bandwidth) } : {}),
    ...(v['max-downtime-ms'] !== undefined ? { maxDowntimeMs: num('max-downtime-ms', v['max-downtime-ms']) } : {}),
    ...(v['max-rounds'] !== undefined ? { maxRounds: num('max-rounds', v['max-rounds']) } : {}),
    ...(v['auto-converge'] ? { autoConverge: true } : {}),
    state: {
      ...(psciHost !== undefined ? { psciHost: psciHost as never } : {}),
      ...(v.sev || v['sev-not-ready'] ? { sev: { migrationReady: !v['sev-not-ready'] } } : {}),
      ...(v['clock-protocol'] !== undefined ? { clockProtocol: v['clock-protocol'] as never } : {}),
      unsafe: unsafeList(v.unsafe),
    },
    signal: io.signal,
  };
  try {
    // Checked before the guest and the destination start: the port is a placeholder for the spawned one.
    checkMigrateOptions({ ...migration, to: v.to ?? { port: 1 } });
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(flagTerms(err.message));
    throw err;
  }
  const destSkew = within('dest-clock-skew-s', v['dest-clock-skew-s'], -86_400, 86_400, 's (a day either way)');
  const json = v.json === true;
  const progress = progressWriter(io, json);
  const say = (line: string) => (json ? progress(line) : io.stdout(`${line}\n`));
  let vm: RunningVm;
  try {
    vm = await startVm(vmOptions(v));
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(inFlagTerms(err.message));
    throw err;
  }
  let spawned: SpawnedDestination | undefined;
  try {
    let to: MigrateOptions['to'];
    if (v.to !== undefined) to = v.to;
    else {
      spawned = await spawnDestination({ state: { ...(v['dest-psci-host'] !== undefined ? { psciHost: v['dest-psci-host'] as never } : {}), ...(destSkew !== undefined ? { clockSkewMs: Math.round(destSkew * 1000) } : {}) } });
      to = { host: '127.0.0.1', port: spawned.port };
    }
    let m;
    try {
      m = migrate({ ...migration, vm, to });
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(flagTerms(err.message));
      throw err;
    }
    say(`migrate: ${vm.options.strategy}, ${vm.pages * 4} KiB guest (${vm.pages} pages), ${vm.options.vcpus} vCPUs, ${vm.options.pattern} writes; to ${typeof to === 'string' ? to : `${to.host}:${to.port}`}${spawned ? ' (a destination process on loopback)' : ''}`);
    m.on('setup', (e) => say(`setup: ${e.setupMs.toFixed(0)} ms (the destination built its guest and accepted the setup)`));
    m.on('round', (e) => say(roundLine(e.stats)));
    m.on('throttle', (e) => say(`auto-converge: the vCPUs are throttled to ${e.percent}%`));
    m.on('stop-and-copy', (e) => say(`stop-and-copy: vCPUs paused; ${e.pages} pages left (expected downtime ${e.expectedDowntimeMs.toFixed(0)} ms)`));
    io.keepPartial?.(() => 'interrupted twice (Ctrl-C): exited at once; the migration was cancelled mid-stream and the guest discarded on the destination\n');
    const result = await m.result;
    const dest = spawned ? await resultWithin(spawned.result, 15_000) : undefined;
    if (json) io.stdout(`${JSON.stringify({ ...result, ...(dest ? { destination: dest } : {}) }, null, 2)}\n`);
    else io.stdout(`${[...migrationLines(result), ...(dest?.kind === 'reported' ? destinationLines(dest.summary) : [])].join('\n')}\n`);
    if (out.html) {
      writeFileSync(out.html, renderHtml(migrationDocument(result, vm.options, `dirtylog migrate ${process.argv.slice(3).join(' ')}`, machineInfo())));
      (json ? io.stderr : io.stdout)(`report: ${out.html}\n`);
    }
    if (result.kind === 'aborted') {
      io.stderr(`migrate: interrupted (Ctrl-C) in phase ${result.phase}: ${result.guestRunsOn === 'source' ? 'the guest runs on at the source; the destination discarded its copy' : 'the guest runs on the destination'}\n`);
      return EXIT.interrupted;
    }
    return result.kind === 'migrated' ? EXIT.ok : EXIT.failed;
  } finally {
    await vm.stop();
    if (spawned && spawned.child.exitCode === null) {
      await settleWithin(new Promise((r) => spawned!.child.once('exit', r)), 5000);
      spawned.kill();
    }
  }
}

/** The library's option names as the flags that set them. */
function flagTerms(message: string): string {
  return message.replace(/\bmaxDowntimeMs\b/g, '--max-downtime-ms').replace(/\bmaxRounds\b/g, '--max-rounds').replace(/\bbandwidth\b/g, '--bandwidth')
    .replace(/^to(\.port)?\b/, '--to').replace(/state\.psciHost/g, '--psci-host').replace(/state\.clockProtocol/g, '--clock-protocol');
}

async function destination(v: Values, io: Io): Promise<number> {
  const port = numberFlag('--listen', v.listen!);
  const skew = within('clock-skew-s', v['clock-skew-s'], -86_400, 86_400, 's (a day either way)');
  const accept = within('accept-timeout-s', v['accept-timeout-s'], 0.01, 86_400, 's');
  const runAfterMs = within('run-after-ms', v['run-after-ms'], 0, 3_600_000, 'ms') ?? 200;
  let listener;
  try {
    listener = await listenForMigration({
      port, host: v.host ?? '127.0.0.1', signal: io.signal,
      ...(accept !== undefined ? { acceptTimeoutMs: Math.round(accept * 1000) } : {}),
      state: { ...(v['psci-host'] !== undefined ? { psciHost: v['psci-host'] as never } : {}), ...(skew !== undefined ? { clockSkewMs: Math.round(skew * 1000) } : {}) },
    });
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) {
      throw new UsageError(err.message.replace(/^port\b/, '--listen').replace(/state\.psciHost/, '--psci-host').replace(/state\.clockSkewMs/, '--clock-skew-s').replace(/acceptTimeoutMs/, '--accept-timeout-s'));
    }
    throw err;
  }
  io.stdout(`listening on ${listener.host}:${listener.port}\n`);
  const result = await listener.result;
  let writesAfterResume = 0;
  if (result.vm) {
    const before = result.vm.counters().writes;
    await new Promise((r) => setTimeout(r, runAfterMs));
    writesAfterResume = result.vm.counters().writes - before;
    await result.vm.stop();
  }
  const { vm: _vm, ...rest } = result;
  const summary: DestinationSummary = { ...rest, guestRan: result.vm !== undefined, writesAfterResume };
  io.stdout(v.json ? `${JSON.stringify(summary, null, 2)}\n` : `${destinationLines(summary).join('\n')}\n`);
  if (result.kind === 'aborted') return EXIT.interrupted;
  return result.kind === 'migrated' ? EXIT.ok : EXIT.failed;
}

export type { MigrationResult };
