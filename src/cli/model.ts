/**
 * `dirtylog model <tsc|vmgenid|psci|sev>`: prints what the migration-state models compute.
 * An adapter only: every number and verdict comes from src/vmstate.
 */
import {
  PSCI_VERSIONS, SEV_SCENARIOS, VM_LIFECYCLE_EVENTS, VMGENID_CHANGES_ON, VmGenIdDevice, hex, kvmClockClocksource,
  measureVmGenIdRace, psciCompatibilityMatrix, runClockMigration, runSevScenario, tscClocksource,
  type ClockScenarioOptions, type ClocksourceLimits, type SevScenario, type VmLifecycleEvent,
} from '../vmstate/index.ts';
import { quote } from '../validate.ts';
import { EXIT, UsageError, exitStatusHelp, type Command, type Io } from './command.ts';
import { parseFlags } from './flags.ts';

const STATUS = exitStatusHelp('an unexpected error', ['  3    tsc --migrate: the restore was refused (the output says why)']);

const HELP = `usage: dirtylog model <tsc|vmgenid|psci|sev> [options] [--json]

  tsc [--freq-khz N]            guest clocksource limits (max_cycles, max_idle_ns) for a TSC at N kHz and kvm-clock
  tsc --migrate [...]           migrate a 4-vCPU guest and check invariants 1-7
  vmgenid [--event E]           whether E changes the ID, and the device's ordering log
  vmgenid --race [--delay N]    stale uses after a clone restore, push notification vs pull check
  psci --matrix                 the migration compatibility matrix, register vs vCPU-feature design
  sev --scenario 1|2|3          replay one of the three races

dirtylog model <model> --help lists a model's options.

${STATUS}`;

const JSON_HELP = `  --json                        print one JSON document
  -h, --help                    this help`;

const SUB_HELP: Record<string, string> = {
  tsc: `usage: dirtylog model tsc [--freq-khz N] [--json]
       dirtylog model tsc --migrate [options] [--json]

Without --migrate: the guest clocksource limits (mult, shift, max_cycles, max_idle_ns) the
kernel computes for a TSC at N kHz, and for kvm-clock. With --migrate: migrates a 4-vCPU
guest and checks invariants 1-7 on what its readers saw.

options:
  --freq-khz N                  TSC frequency in kHz (default 3407993, the reference's 3.408 GHz row)
  --migrate                     run the clock migration
  --downtime-ms N               migration downtime (default 150)
  --formula F                   documented | unscaled-units | raw-host-tsc | copy-offsets | msr-per-vcpu | keep-host-rate
  --protocol P                  none | suspend-resume | stop-machine
  --purpose P                   live-migration | snapshot-restore
  --checks C                    enforce | off
${JSON_HELP}

${STATUS}`,
  vmgenid: `usage: dirtylog model vmgenid [--event E] [--json]
       dirtylog model vmgenid --race [--delay N] [--json]

Whether each VM lifecycle event changes the VMGenID, and the device's ordering log; with
--race, the stale random values a caching consumer uses after a clone restore, push
notification against a pull check.

options:
  --event E                     only this event: ${VM_LIFECYCLE_EVENTS.join(', ')}
  --race                        measure the race after a clone restore
  --delay N                     uses before the notification arrives (default 5)
${JSON_HELP}

${STATUS}`,
  psci: `usage: dirtylog model psci --matrix [--json]

The Arm PSCI migration compatibility matrix between host profiles, for the merged firmware
register design and the rejected vCPU-feature design.

options:
  --matrix                      print the matrix (required)
${JSON_HELP}

${STATUS}`,
  sev: `usage: dirtylog model sev --scenario 1|2|3 [--ordering naive|engine] [--json]

Replays one of the three AMD SEV page-status races of the reference, under the naive
ordering (which produces the bad result) and the engine's (which does not).

options:
  --scenario N                  1, 2 or 3 (required)
  --ordering O                  naive | engine (default: both)
${JSON_HELP}

${STATUS}`,
};

const COMMON = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
const FLAGS = {
  tsc: {
    ...COMMON, 'freq-khz': { type: 'string' }, migrate: { type: 'boolean' }, 'downtime-ms': { type: 'string' },
    formula: { type: 'string' }, protocol: { type: 'string' }, purpose: { type: 'string' }, checks: { type: 'string' },
  },
  vmgenid: { ...COMMON, event: { type: 'string' }, race: { type: 'boolean' }, delay: { type: 'string' } },
  psci: { ...COMMON, matrix: { type: 'boolean' } },
  sev: { ...COMMON, scenario: { type: 'string' }, ordering: { type: 'string' } },
} as const;

/** The flags of every model, as the model functions read them; each model parses only its own. */
interface Values {
  json?: boolean; help?: boolean; migrate?: boolean; race?: boolean; matrix?: boolean;
  'freq-khz'?: string; 'downtime-ms'?: string; formula?: string; protocol?: string; purpose?: string; checks?: string;
  event?: string; delay?: string; scenario?: string; ordering?: string;
}

function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v), 2)}\n`;
}

/** A value as typed, in quotes, unless it could carry newlines or terminal escapes into the message. */
const shown = (text: string): string => (/^[\w.,:+-]{0,40}$/.test(text) ? `'${text}'` : quote(text));

function integer(text: string | undefined, name: string, fallback: bigint, min: bigint, max: bigint): bigint {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`--${name} must be a non-negative integer; got ${shown(text)}`);
  const n = BigInt(text);
  if (n < min || n > max) throw new UsageError(`--${name} must be in [${min}, ${max}]; got ${n}`);
  return n;
}

function oneOf<T extends string>(text: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got ${shown(text)}`);
  return text as T;
}

function limitsText(c: ClocksourceLimits): string {
  const seconds = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0').slice(0, 3)} s`;
  return `${c.name.padEnd(9)} ${String(c.freqHz).padStart(11)} Hz  mult ${c.mult} shift ${c.shift}  max_cycles ${hex(c.maxCycles)}  max_idle_ns ${c.maxIdleNs} (${seconds(c.maxIdleNs)})\n`;
}

function tsc(v: Values, io: Io): number {
  if (!v.migrate) {
    const limits = [tscClocksource(integer(v['freq-khz'], 'freq-khz', 3_407_993n, 1n, 0xffff_ffffn)), kvmClockClocksource()];
    io.stdout(v.json ? toJson({ limits }) : limits.map(limitsText).join(''));
    return 0;
  }
  const options: ClockScenarioOptions = {
    downtimeNs: integer(v['downtime-ms'], 'downtime-ms', 150n, 0n, 10n ** 9n) * 1_000_000n,
    ...(v['freq-khz'] ? { guestKhz: integer(v['freq-khz'], 'freq-khz', 0n, 1n, 0xffff_ffffn) } : {}),
    formula: oneOf(v.formula, 'formula', ['documented', 'unscaled-units', 'raw-host-tsc', 'copy-offsets', 'msr-per-vcpu', 'keep-host-rate'] as const) ?? 'documented',
    protocol: oneOf(v.protocol, 'protocol', ['none', 'suspend-resume', 'stop-machine'] as const) ?? 'none',
    purpose: oneOf(v.purpose, 'purpose', ['live-migration', 'snapshot-restore'] as const) ?? 'live-migration',
    checks: oneOf(v.checks, 'checks', ['enforce', 'off'] as const) ?? 'enforce',
  };
  const report = runClockMigration(options);
  if (v.json) {
    io.stdout(toJson({ restore: report.restore, invariants: report.invariants, readings: report.readings.length }));
  } else {
    const r = report.restore;
    io.stdout(r.kind === 'refused' ? `restore refused: ${r.reason}\n` : `restored: kvmclock ${r.clock} ns, +${r.addedCycles} guest cycles, jump ${r.forwardJumpNs} ns\n`);
    for (const i of report.invariants) io.stdout(`  invariant ${i.invariant}: ${i.holds ? 'holds' : 'BROKEN'}  ${i.detail}\n`);
  }
  return report.restore.kind === 'refused' ? 3 : 0;
}

function vmgenid(v: Values, io: Io): number {
  if (v.race) {
    const delay = Number(integer(v.delay, 'delay', 5n, 0n, 1_000_000n));
    const results = (['push', 'pull'] as const).map((mode) => measureVmGenIdRace({ mode, notifyDelayUses: delay }));
    io.stdout(v.json ? toJson({ results }) : results.map((r) => `${r.mode}: stale uses per clone [${r.staleUses.join(', ')}], values reused across clones ${r.reusedAcrossClones}\n`).join(''));
    return 0;
  }
  const events = v.event ? [oneOf(v.event, 'event', VM_LIFECYCLE_EVENTS)!] : VM_LIFECYCLE_EVENTS;
  const rows = events.map((event: VmLifecycleEvent) => {
    const device = new VmGenIdDevice();
    const before = device.readId();
    device.applyEvent(event);
    device.resume();
    return { event, changes: VMGENID_CHANGES_ON[event], idChanged: !Buffer.from(before).equals(device.readId()), log: device.log.map((e) => e.kind) };
  });
  io.stdout(v.json ? toJson({ events: rows }) : rows.map((r) => `${r.event.padEnd(16)} ${r.idChanged ? 'new ID' : 'same ID'}  ${r.log.join(' -> ')}\n`).join(''));
  return 0;
}

function psci(v: Values, io: Io): number {
  if (!v.matrix) throw new UsageError(`psci: pass --matrix (versions known: ${PSCI_VERSIONS.join(', ')})`);
  const matrix = psciCompatibilityMatrix();
  if (v.json) {
    io.stdout(toJson({ matrix }));
    return 0;
  }
  io.stdout('direction               register (merged)       vCPU feature flag (rejected)\n');
  for (const row of matrix) {
    io.stdout(`${`${row.from} -> ${row.to}`.padEnd(23)} ${row.register.kind.padEnd(23)} ${row.vcpuFeature.kind}\n`);
    for (const [design, c] of [['register', row.register], ['feature', row.vcpuFeature]] as const) {
      if (c.kind !== 'ok') io.stdout(`    ${design}: ${c.detail}\n`);
    }
  }
  return 0;
}

function sev(v: Values, io: Io): number {
  if (v.scenario === undefined) throw new UsageError('sev: pass --scenario 1, 2 or 3');
  const n = Number(oneOf(v.scenario, 'scenario', SEV_SCENARIOS.map(String))) as SevScenario;
  const orderings = v.ordering ? [oneOf(v.ordering, 'ordering', ['naive', 'engine'] as const)!] : (['naive', 'engine'] as const);
  const reports = orderings.map((o) => runSevScenario(n, o));
  if (v.json) {
    io.stdout(toJson({ reports }));
  } else {
    for (const r of reports) io.stdout(`scenario ${r.scenario} (${r.ordering}): ${r.title}\n${r.steps.map((s) => `  ${s}\n`).join('')}  => ${r.result.kind}: ${r.result.detail}\n`);
  }
  return 0;
}

const SUBCOMMANDS: Record<keyof typeof FLAGS, (v: Values, io: Io) => number> = { tsc, vmgenid, psci, sev };

/** `dirtylog model ...`; exit 0, 2 on bad usage, 3 when a migration was refused. */
export const main: Command = async (argv, io) => {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (name === undefined) {
    io.stderr(HELP);
    return EXIT.usage;
  }
  if (!Object.hasOwn(SUBCOMMANDS, name)) {
    if (name.startsWith('-')) throw new UsageError(`name the model first: dirtylog model <tsc|vmgenid|psci|sev> [options]`);
    throw new UsageError(`unknown model ${shown(name)}; expected tsc, vmgenid, psci or sev`);
  }
  const model = name as keyof typeof FLAGS;
  const { values, positionals } = parseFlags(`model ${model}`, rest, FLAGS[model]);
  if (values.help) {
    io.stdout(SUB_HELP[model]!);
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`unexpected argument ${quote(positionals[0]!)}: see dirtylog model ${model} --help`);
  return SUBCOMMANDS[model](values as Values, io);
};
