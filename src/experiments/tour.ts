/**
 * The tour's report (`npm start` ends by writing dirtylog-report.html): the tour's own runs
 * (src/run/compare.ts, ring against bitmap on two workloads) as a comparison, plus the quickest
 * cut of the two sweeps, so a first-time user sees every kind of chart in under 30 s.
 */
import { machineInfo } from '../bench/machine.ts';
import type { Comparison } from '../run/compare.ts';
import type { ComparisonResult } from './comparison.ts';
import type { GuestSweepOptions } from './guest-sweep.ts';
import type { RingSweepOptions } from './ring-sweep.ts';
import { pointOutcome, trialOutcome } from './trials.ts';

/** Three ring sizes on one dense workload, one short trial each: about 2 s. */
export const TOUR_RING_SWEEP: RingSweepOptions = { sizes: [256, 4096, 65536], patterns: ['random'], trials: 1, seconds: 0.3 };
/** Guests up to 1 TiB (16 TiB alone would take longer than the whole tour): about 6 s. */
export const TOUR_GUEST_SWEEP: GuestSweepOptions = { sizes: ['1GiB', '32GiB', '1TiB'], trials: 3 };

/** The tour's comparisons in the report's terms: each workload a group, each strategy a one-trial scenario. */
export function tourComparison(comparisons: readonly Comparison[], interrupted: boolean): ComparisonResult {
  return {
    kind: 'comparison',
    name: 'tour',
    summary: 'the tour: ring against bitmap on the same workloads, the first verified page by page',
    date: new Date().toISOString(),
    machine: machineInfo(),
    method: {
      trials: 1,
      order: 'each workload under each strategy once, one after the other',
      won: 'the highest guest writes per second, by 10% or more; if the guest\'s pace ties, the collector 1.5x cheaper per iteration',
    },
    scenarios: comparisons.flatMap((c) => c.results.flatMap((r) => (r.kind === 'aborted' ? [] : [{
      name: r.options.strategy, group: c.scenario.name, options: withoutRing({ ...c.scenario.options, strategy: r.options.strategy }, r.options.ringEntries),
      outcome: pointOutcome([trialOutcome(r, 0, r.options.seed)]),
    }]))),
    verdicts: comparisons.map((c) => ({ group: c.scenario.name, winner: c.winner, reason: c.reason })),
    interrupted,
  };
}

/** compareStrategies gives the scenario's ring size only to strategies with rings (ringEntries 0 in the result): so does the report. */
function withoutRing<T extends { ringEntries?: number }>(options: T, ringEntries: number): T {
  if (ringEntries) return options;
  const { ringEntries: _r, ...rest } = options;
  return rest as T;
}
