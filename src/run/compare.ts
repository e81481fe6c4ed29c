/**
 * Strategies against each other on the same workload, and a verdict that says which won and
 * why. "Won" means the guest got more work done (writes per second) with every page still
 * reported; when the guest's pace ties (a rate-capped guest), the cheaper collector wins.
 * The reason names the cost that decided it: vCPU stalls on full rings, or the collector's
 * scans of the whole bitmap. A run that did not complete gets no verdict.
 */
import { bitmap } from '../tracking/bitmap.ts';
import { ring } from '../tracking/ring.ts';
import { trackingMode, type Strategy } from '../tracking/index.ts';
import type { RunOptions } from './options.ts';
import { startRun, type RunResult } from './run.ts';

export interface Scenario {
  readonly name: string;
  readonly why: string;
  readonly options: Omit<RunOptions, 'strategy'>;
}

export interface Comparison {
  readonly scenario: Scenario;
  readonly results: readonly RunResult[];
  readonly winner: Strategy | undefined;
  readonly reason: string;
}

/** The two strategies the tour puts side by side: the ring and the classic bitmap. */
export const TOUR_STRATEGIES: readonly Strategy[] = [ring.name, bitmap.name];

/** The tour's two regimes (Peter Xu's: heavy random writes favour the bitmap, sparse writes on big guests the ring). */
export const TOUR: readonly Scenario[] = [
  {
    name: 'heavy random writes, 64 MiB guest',
    why: 'every page dirty every round: a ring entry per page and full exits, against a small bitmap',
    options: { vcpus: 2, memory: '64MiB', ringEntries: 4096, pattern: 'random', seconds: 2, intervalMs: 200, verify: true },
  },
  {
    name: 'sparse writes, 256 GiB guest (tracking only: too big to keep contents)',
    why: 'a few thousand pages dirty per round: a short ring, against scanning an 8 MiB bitmap per sync',
    options: { vcpus: 2, memory: '256GiB', ringEntries: 4096, pattern: 'zipf', hotPages: 2048, writeRate: 20_000, seconds: 2, intervalMs: 200 },
  },
];

/** Run the scenario under each strategy, one after the other; stops early when `signal` aborts. */
export async function compareStrategies(scenario: Scenario, strategies: readonly Strategy[] = TOUR_STRATEGIES, signal?: AbortSignal): Promise<Comparison> {
  const results: RunResult[] = [];
  const { ringEntries, ...options } = scenario.options;
  for (const strategy of strategies) {
    if (signal?.aborted) break;
    // The scenario's ring size applies to the strategies that have rings.
    const ring = ringEntries !== undefined && trackingMode(strategy).usesRing ? { ringEntries } : {};
    results.push(await startRun({ ...options, ...ring, strategy, ...(signal ? { signal } : {}) }).result);
  }
  return { scenario, results, ...verdict(results, strategies) };
}

function verdict(results: readonly RunResult[], strategies: readonly Strategy[]): { winner: Strategy | undefined; reason: string } {
  if (results.length < strategies.length || results.some((r) => r.kind === 'aborted')) {
    // A strategy cut short or never started decides nothing: no winner rather than a wrong one.
    return { winner: undefined, reason: 'no verdict: interrupted before every strategy finished' };
  }
  const unsound = results.filter((r) => r.kind !== 'completed' || r.verification.kind === 'failed');
  if (unsound.length) {
    return { winner: undefined, reason: `no verdict: ${unsound.map((r) => r.options.strategy).join(', ')} did not complete with every page verified` };
  }
  const [fast, slow] = [...results].sort((a, b) => b.totals.writesPerSecond - a.totals.writesPerSecond);
  if (!fast || !slow) return { winner: fast?.options.strategy, reason: 'only one strategy ran' };
  const busy = (r: RunResult) => r.totals.collectorBusyMs / Math.max(1, r.totals.iterations);
  const ratio = fast.totals.writesPerSecond / slow.totals.writesPerSecond;
  if (ratio >= 1.1) {
    return { winner: fast.options.strategy, reason: `${fast.options.strategy} let the guest write ${ratio.toFixed(1)}x faster: ${cost(slow)}; ${cost(fast)}` };
  }
  const [cheap, dear] = [fast, slow].sort((a, b) => busy(a) - busy(b)) as [RunResult, RunResult];
  const saving = busy(dear) / Math.max(busy(cheap), 1e-3);
  if (saving >= 1.5) {
    return { winner: cheap.options.strategy, reason: `the guest's pace tied (${ratio.toFixed(2)}x), and ${cheap.options.strategy} collected ${saving.toFixed(1)}x cheaper: ${cost(dear)}; ${cost(cheap)}` };
  }
  return { winner: undefined, reason: `a tie: guest pace within 10% and collector cost within 1.5x; ${cost(fast)}; ${cost(slow)}` };
}

/** What the strategy paid, in the terms its mode's cost model names. */
function cost(r: RunResult): string {
  const t = r.totals;
  const perIt = t.collectorBusyMs / Math.max(1, t.iterations);
  const name = r.options.strategy;
  return trackingMode(name).cost === 'per-guest-page'
    ? `${name} spent ${perIt.toFixed(1)} ms per iteration in the collector scanning the bitmap`
    : `${name} stalled its vCPUs ${((100 * t.stallMs) / (r.options.vcpus * t.runningMs)).toFixed(0)}% of their running time in ${t.fullExits.toLocaleString('en-US')} full exits, and spent ${perIt.toFixed(1)} ms per iteration harvesting and resetting`;
}
