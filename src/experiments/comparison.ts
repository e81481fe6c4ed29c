/**
 * A comparison: a list of scenarios (each one run's options), run over trials, with a verdict
 * per group of scenarios that ran the same workload. "Won" means what the tour means by it
 * (src/run/compare.ts): the guest got more work done (median writes per second, 10 % or more),
 * or, when the guest's pace ties, the collector paid at least 1.5x less; a scenario that failed
 * or lost a page decides nothing.
 */
import { machineInfo, type MachineInfo } from '../bench/machine.ts';
import type { RunOptions } from '../run/options.ts';
import { trackingMode } from '../tracking/index.ts';
import type { ProgressListener } from './progress.ts';
import { runPoints, type PointOutcome } from './trials.ts';
import { percent, si, times } from './words.ts';

export interface ComparisonScenario {
  /** What differs within its group: "ring", "4096 entries", "PML on". */
  readonly name: string;
  /** The workload it shares with the other scenarios of its group; one group when omitted. */
  readonly group?: string;
  readonly options: Omit<RunOptions, 'signal'>;
}

export interface ComparisonSpec {
  readonly name: string;
  readonly summary: string;
  readonly scenarios: readonly ComparisonScenario[];
  readonly trials: number;
  /** A comparison whose question is not throughput judges its groups itself; the throughput verdict otherwise. */
  readonly judge?: GroupJudge;
}

export interface ScenarioResult {
  readonly name: string;
  readonly group: string;
  readonly options: Omit<RunOptions, 'signal'>;
  readonly outcome: PointOutcome;
}

/** A number a verdict rests on, for readers of the JSON: "dirty-ring error, median" = 8.2 %. */
export interface GroupFigure {
  /** The scenario it belongs to, when not to the whole group. */
  readonly scenario?: string;
  readonly name: string;
  readonly value: number | null;
  readonly unit: string;
}

export interface GroupVerdict {
  readonly group: string;
  readonly winner: string | undefined;
  readonly reason: string;
  readonly figures?: readonly GroupFigure[];
}

/** What a comparison's own judge says of a group whose scenarios all completed. */
export interface Judgement {
  readonly winner: string | undefined;
  readonly reason: string;
  readonly figures: readonly GroupFigure[];
}

/** How a comparison judges a group, and in a sentence what "won" means for it. */
export interface GroupJudge {
  readonly won: string;
  judge(group: string, results: readonly ScenarioResult[]): Judgement;
}

/** What every comparison (of runs, of migrations) reports around its scenarios and verdicts. */
export interface ComparisonHeader {
  readonly name: string;
  readonly summary: string;
  readonly date: string;
  readonly machine: MachineInfo;
  readonly method: { readonly trials: number; readonly order: string; readonly won: string };
  readonly interrupted: boolean;
}

export interface ComparisonResult extends ComparisonHeader {
  readonly kind: 'comparison';
  readonly scenarios: readonly ScenarioResult[];
  readonly verdicts: readonly GroupVerdict[];
}

export const DEFAULT_GROUP = 'same workload';

export async function runComparison(spec: ComparisonSpec, o: { readonly signal?: AbortSignal; readonly onProgress?: ProgressListener } = {}): Promise<ComparisonResult> {
  const label = (s: ComparisonScenario) => (s.group ? `${s.name} · ${s.group}` : s.name);
  const run = await runPoints(spec.scenarios.map((s) => ({ label: label(s), options: s.options })), { trials: spec.trials, ...o });
  const scenarios = spec.scenarios
    .map((s, i): ScenarioResult => ({ name: s.name, group: s.group ?? DEFAULT_GROUP, options: s.options, outcome: run.points[i]! }))
    .filter((s) => s.outcome.trials.length > 0);
  const groups = [...new Set(spec.scenarios.map((s) => s.group ?? DEFAULT_GROUP))];
  return {
    kind: 'comparison',
    name: spec.name,
    summary: spec.summary,
    date: new Date().toISOString(),
    machine: machineInfo(),
    method: {
      trials: spec.trials,
      order: 'trials interleaved: every scenario\'s first trial, then every scenario\'s second, ...; trial t uses the scenario\'s seed + t',
      won: spec.judge?.won ?? 'the highest median guest writes per second, by 10% or more; if the guest\'s pace ties, the collector 1.5x cheaper per iteration; failed or unverified scenarios decide nothing',
    },
    scenarios,
    verdicts: groups.map((g) => groupVerdict(g, spec.scenarios.filter((s) => (s.group ?? DEFAULT_GROUP) === g).length, scenarios.filter((s) => s.group === g), spec, run.interrupted)),
    interrupted: run.interrupted,
  };
}

function groupVerdict(group: string, planned: number, results: readonly ScenarioResult[], spec: ComparisonSpec, interrupted: boolean): GroupVerdict {
  const none = (reason: string) => ({ group, winner: undefined, reason });
  if (interrupted && (results.length < planned || results.some((r) => r.outcome.trials.length < spec.trials))) {
    return none('no verdict: interrupted before every scenario finished its trials');
  }
  const unsound = results.filter((r) => r.outcome.trials.some((t) => t.kind !== 'completed' || t.verification === 'failed'));
  if (unsound.length) return none(`no verdict: ${unsound.map((r) => r.name).join(', ')} did not complete with every page verified`);
  if (spec.judge) return { group, ...spec.judge.judge(group, results) };
  if (results.length < 2) return none('only one scenario: nothing to compare');
  const wps = (r: ScenarioResult) => r.outcome.summary.writesPerSecond.median;
  const busy = (r: ScenarioResult) => r.outcome.summary.collectorMsPerIteration.median;
  const [fast, slow] = [...results].sort((a, b) => wps(b) - wps(a)) as [ScenarioResult, ScenarioResult];
  const ratio = wps(fast) / wps(slow);
  if (ratio >= 1.1) return { group, winner: fast.name, reason: `${fast.name} let the guest write ${times(ratio)} faster than ${slow.name}: ${cost(slow)}; ${cost(fast)}` };
  const [cheap, dear] = [...results].sort((a, b) => busy(a) - busy(b)) as [ScenarioResult, ScenarioResult];
  const saving = busy(dear) / Math.max(busy(cheap), 1e-3);
  if (saving >= 1.5) {
    return { group, winner: cheap.name, reason: `the guest's pace tied (${ratio.toFixed(2)}x), and ${cheap.name} collected ${times(saving)} cheaper than ${dear.name}: ${cost(dear)}; ${cost(cheap)}` };
  }
  return none(`a tie: guest pace within 10% and collector cost within 1.5x; ${cost(fast)}; ${cost(slow)}`);
}

/** What a scenario paid, in the terms of its mode's cost model (as the tour says it). */
function cost(r: ScenarioResult): string {
  const s = r.outcome.summary;
  const perIt = `${s.collectorMsPerIteration.median.toFixed(1)} ms per iteration`;
  return trackingMode(r.options.strategy).cost === 'per-guest-page'
    ? `${r.name} spent ${perIt} in the collector scanning the bitmap`
    : `${r.name} stalled its vCPUs ${percent(s.stallShare.median)} of their running time (${si(s.fullExitsPerSecond.median)} full exits/s) and spent ${perIt} harvesting and resetting`;
}
