/**
 * Migration comparisons: the same live migration under different strategies, bandwidths or
 * convergence aids, each trial a real migration over loopback TCP to a destination process of
 * its own, every page compared at the end. Trials are interleaved (every scenario's first, then
 * every scenario's second) so a neighbour loading the machine for a while spreads over all of
 * them. A group's verdict: the scenario that migrated fastest (median total time, by 10 % or
 * more), or, times tied, with 1.5x less downtime; a scenario that did not migrate in every
 * trial, with every page equal, decides nothing but is said.
 */
import { machineInfo } from '../bench/machine.ts';
import { summarize, type Summary } from '../bench/stats.ts';
import { migrate } from '../migration/source.ts';
import type { MigrateOptions } from '../migration/options.ts';
import type { MigrationResult, RoundStats } from '../migration/result.ts';
import { spawnDestination } from '../migration/spawn-destination.ts';
import { startVm, type VmOptions } from '../run/running-vm.ts';
import type { ComparisonHeader } from './comparison.ts';
import { progressClock, type ProgressListener } from './progress.ts';
import { trialSeed } from './trials.ts';
import { settleWithin } from '../run/waits.ts';
import { ms, percent, times } from './words.ts';

export interface MigrationScenario {
  readonly name: string;
  /** The workload (and link) it shares with the other scenarios of its group. */
  readonly group: string;
  readonly vm: Omit<VmOptions, 'signal'>;
  readonly migration: Pick<MigrateOptions, 'bandwidth' | 'maxDowntimeMs' | 'maxRounds' | 'autoConverge'>;
}

export interface MigrationComparisonSpec {
  readonly name: string;
  readonly summary: string;
  readonly scenarios: readonly MigrationScenario[];
  readonly trials: number;
}

export interface MigrationTrial {
  readonly trial: number;
  readonly seed: number;
  readonly kind: MigrationResult['kind'];
  /** Why it failed, in a sentence. */
  readonly verdict: string;
  readonly migrated: boolean;
  readonly totalMs: number;
  readonly downtimeMs: number | undefined;
  readonly setupMs: number;
  readonly rounds: number;
  readonly transferred: number;
  readonly roundStats: readonly RoundStats[];
}

export interface MigrationScenarioResult extends MigrationScenario {
  readonly trials: readonly MigrationTrial[];
  /** Over the trials that migrated. */
  readonly summary: { readonly totalMs: Summary; readonly downtimeMs: Summary; readonly rounds: Summary; readonly transferred: Summary; readonly migrated: number };
}

export interface MigrationVerdict {
  readonly group: string;
  readonly winner: string | undefined;
  readonly reason: string;
}

export interface MigrationComparisonResult extends ComparisonHeader {
  readonly kind: 'migration-comparison';
  readonly scenarios: readonly MigrationScenarioResult[];
  readonly verdicts: readonly MigrationVerdict[];
}

export async function runMigrationComparison(spec: MigrationComparisonSpec, o: { readonly signal?: AbortSignal; readonly onProgress?: ProgressListener } = {}): Promise<MigrationComparisonResult> {
  const trials: MigrationTrial[][] = spec.scenarios.map(() => []);
  const jobs = Array.from({ length: spec.trials }, (_, t) => spec.scenarios.map((s, i) => ({ i, t, s }))).flat();
  const clock = progressClock(jobs.map(() => 1));
  let interrupted = false;
  for (const [k, job] of jobs.entries()) {
    if (o.signal?.aborted) break;
    o.onProgress?.(clock.starting(k, `${job.s.name} · ${job.s.group}${spec.trials > 1 ? `, trial ${job.t + 1} of ${spec.trials}` : ''}`));
    const seed = trialSeed(job.s.vm, job.t);
    const trial = await runTrial(job.s, job.t, seed, o.signal);
    clock.finished(k);
    if (trial === undefined) {
      interrupted = true;
      break;
    }
    trials[job.i]!.push(trial);
  }
  interrupted ||= o.signal?.aborted === true;
  const scenarios = spec.scenarios.map((s, i): MigrationScenarioResult => ({ ...s, trials: trials[i]!, summary: summaryOf(trials[i]!) })).filter((s) => s.trials.length > 0);
  const groups = [...new Set(spec.scenarios.map((s) => s.group))];
  return {
    kind: 'migration-comparison', name: spec.name, summary: spec.summary, date: new Date().toISOString(), machine: machineInfo(),
    method: {
      trials: spec.trials,
      order: "trials interleaved: every scenario's first trial, then every scenario's second, ...; trial t uses the scenario's seed + t; each trial a migration over loopback TCP to a destination process of its own",
      won: 'the lowest median total time, by 10% or more; if tied, 1.5x less downtime; a scenario that did not migrate every trial with every page equal decides nothing',
    },
    scenarios,
    verdicts: groups.map((g) => verdict(g, scenarios.filter((s) => s.group === g), spec.trials, interrupted)),
    interrupted,
  };
}

/** One migration; undefined when the signal cut it short. */
async function runTrial(s: MigrationScenario, trial: number, seed: number, signal: AbortSignal | undefined): Promise<MigrationTrial | undefined> {
  const vm = await startVm({ ...s.vm, seed });
  try {
    const dest = await spawnDestination({ runAfterMs: 0 });
    let r;
    try {
      r = await migrate({ ...s.migration, vm, to: { port: dest.port }, ...(signal ? { signal } : {}) }).result;
      await settleWithin(dest.result, 15_000); // the timer is cleared: a finished comparison leaves nothing scheduled
    } finally {
      dest.kill();
    }
    if (r.kind === 'aborted') return undefined;
    return {
      trial, seed, kind: r.kind, verdict: r.verdict, migrated: r.kind === 'migrated', totalMs: r.totals.totalMs, downtimeMs: r.totals.downtimeMs,
      setupMs: r.totals.setupMs, rounds: r.totals.rounds, transferred: r.totals.transferred, roundStats: r.rounds,
    };
  } finally {
    await vm.stop();
  }
}

function summaryOf(trials: readonly MigrationTrial[]): MigrationScenarioResult['summary'] {
  const ok = trials.filter((t) => t.migrated);
  return {
    totalMs: summarize(ok.map((t) => t.totalMs)), downtimeMs: summarize(ok.map((t) => t.downtimeMs!)), rounds: summarize(ok.map((t) => t.rounds)),
    transferred: summarize(ok.map((t) => t.transferred)), migrated: ok.length,
  };
}

function verdict(group: string, results: readonly MigrationScenarioResult[], trials: number, interrupted: boolean): MigrationVerdict {
  const none = (reason: string): MigrationVerdict => ({ group, winner: undefined, reason });
  if (interrupted && results.some((r) => r.trials.length < trials)) return none('no verdict: interrupted before every scenario finished its trials');
  const failed = results.filter((r) => r.summary.migrated < r.trials.length);
  const sound = results.filter((r) => r.summary.migrated === r.trials.length && r.trials.length > 0);
  const failures = failed.map((r) => `${r.name} did not migrate in ${r.trials.length - r.summary.migrated} of ${r.trials.length} trials (${r.trials.find((t) => !t.migrated)!.verdict.replace(/^failed in phase \w+ after \d+ bytes: /, '')})`).join('; ');
  if (sound.length === 0) return none(`no scenario migrated every trial: ${failures}`);
  if (sound.length === 1) {
    const only = sound[0]!;
    return failed.length
      ? { group, winner: only.name, reason: `${only.name} alone migrated every trial (${describe(only)}); ${failures}` }
      : none('only one scenario: nothing to compare');
  }
  const t = (r: MigrationScenarioResult) => r.summary.totalMs.median;
  const d = (r: MigrationScenarioResult) => r.summary.downtimeMs.median;
  const [fast, slow] = [...sound].sort((a, b) => t(a) - t(b)) as [MigrationScenarioResult, MigrationScenarioResult];
  const also = failed.length ? `; ${failures}` : '';
  const ratio = t(slow) / t(fast);
  if (ratio >= 1.1) return { group, winner: fast.name, reason: `${fast.name} migrated ${times(ratio)} faster than ${slow.name}: ${describe(fast)}; ${describe(slow)}${also}` };
  const [calm, rough] = [...sound].sort((a, b) => d(a) - d(b)) as [MigrationScenarioResult, MigrationScenarioResult];
  const less = d(rough) / Math.max(d(calm), 1e-3);
  if (less >= 1.5) return { group, winner: calm.name, reason: `total time tied (${ratio.toFixed(2)}x), and ${calm.name} paused the guest ${times(less)} less than ${rough.name}: ${describe(calm)}; ${describe(rough)}${also}` };
  return none(`a tie: total time within 10% and downtime within 1.5x; ${describe(fast)}; ${describe(slow)}${also}`);
}

function describe(r: MigrationScenarioResult): string {
  const s = r.summary;
  const throttled = Math.max(0, ...r.trials.flatMap((t) => t.roundStats.map((x) => x.throttlePercent)));
  return `${r.name} took ${ms(s.totalMs.median)} in ${s.rounds.median} round${s.rounds.median === 1 ? '' : 's'} with ${ms(s.downtimeMs.median)} of downtime${throttled ? `, throttled up to ${percent(throttled / 100)}` : ''}`;
}
