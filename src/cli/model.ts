/**
 * `dirtylog model <tsc|vmgenid|psci|sev>`: prints what the migration-state models compute.
 * An adapter only: every number and verdict comes from src/vm.
 */
import { parseArgs } from 'node:util';
import {
  PSCI_VERSIONS, SEV_SCENARIOS, VM_LIFECYCLE_EVENTS, VMGENID_CHANGES_ON, VmGenIdDevice, hex, kvmClockClocksource,
  measureVmGenIdRace, psciCompatibilityMatrix, runClockMigration, runSevScenario, tscClocksource,
  type ClockScenarioOptions, type ClocksourceLimits, type SevScenario, type VmLifecycleEvent,
} from '../vmstate/index.ts';
import { UsageError, type Command, type Io } from './command.ts';

const HELP = `usage: dirtylog model <tsc|vmgenid|psci|sev> [options] [--json]

  tsc [--freq-khz N]            guest clocksource limits (max_cycles, max_idle_ns) for a TSC at N kHz and kvm-clock
  tsc --migrate [--downtime-ms N] [--formula documented|unscaled-units|raw-host-tsc|copy-offsets|msr-per-vcpu|keep-host-rate]
      [--protocol none|suspend-resume|stop-machine] [--purpose live-migration|snapshot-restore] [--checks enforce|off]
                                migrate a 4-vCPU guest and check invariants 1-7
  vmgenid [--event E]           whether E changes the ID, and the device's ordering log
  vmgenid --race [--delay N]    stale uses after a clone restore, push notification vs pull check
  psci --matrix                 the migration compatibility matrix, register vs vCPU-feature design
  sev --scenario 1|2|3 [--ordering naive|engine]   replay one of the three races
`;

const OPTIONS = {
  json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  'freq-khz': { type: 'string' }, migrate: { type: 'boolean' }, 'downtime-ms': { type: 'string' },
  formula: { type: 'string' }, protocol: { type: 'string' }, purpose: { type: 'string' }, checks: { type: 'string' },
  event: { type: 'string' }, race: { type: 'boolean' }, delay: { type: 'string' },
  matrix: { type: 'boolean' }, scenario: { type: 'string' }, ordering: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v), 2)}\n`;
}

function integer(text: string | undefined, name: string, fallback: bigint, min: bigint, max: bigint): bigint {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`--${name} must be a non-negative integer; got '${text}'`);
  const n = BigInt(text);
  if (n < min || n > max) throw new UsageError(`--${name} must be in [${min}, ${max}]; got ${n}`);
  return n;
}

function oneOf<T extends string>(text: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got '${text}'`);
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

const SUBCOMMANDS: Record<string, (v: Values, io: Io) => number> = { tsc, vmgenid, psci, sev };

/** `dirtylog model ...`; exit 0, 2 on bad usage, 3 when a migration was refused. */
export const main: Command = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
  }
  const [name, ...extra] = parsed.positionals;
  if (parsed.values.help || name === undefined) {
    io.stdout(HELP);
    return name === undefined && !parsed.values.help ? 2 : 0;
  }
  const sub = SUBCOMMANDS[name];
  if (!sub) throw new UsageError(`unknown model '${name}'; expected tsc, vmgenid, psci or sev`);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  return sub(parsed.values, io);
};
