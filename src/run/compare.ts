/**
 * Ring against bitmap on the same workload, and a verdict that says which won and why.
 * "Won" means the guest got more work done (writes per second) with every page still
 * reported; when the guest's pace ties (a rate-capped guest), the cheaper collector wins.
 * The reason names the cost that decided it: vCPU stalls on full rings, or the collector's
 * scans of the whole bitmap.
 */
import { startRun, type RunResult } from './run.ts';
import type { RunOptions } from './options.ts';
import type { Strategy } from '../threads/protocol.ts';

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

export async function compareStrategies(scenario: Scenario, strategies: readonly Strategy[] = ['ring', 'bitmap'], signal?: AbortSignal): Promise<Comparison> {
  const results: RunResult[] = [];
  for (const strategy of strategies) {
    if (signal?.aborted) break;
    results.push(await startRun({ ...scenario.options, strategy, ...(signal ? { signal } : {}) }).result);
  }
  // A strategy cut short or never started decides nothing: no winner rather than a wrong one.
  if (results.length < strategies.length || results.some((r) => r.kind === 'aborted')) {
    return { scenario, results, winner: undefined, reason: 'no verdict: interrupted before every strategy finished' };
  }
  return { scenario, results, ...verdict(results) };
}

function verdict(results: readonly RunResult[]): { winner: Strategy | undefined; reason: string } {
  const sound = results.filter((r) => r.kind === 'completed' && r.verification?.kind !== 'failed');
  if (sound.length < results.length) {
    const bad = results.filter((r) => !sound.includes(r)).map((r) => r.options.strategy).join(', ');
    return { winner: undefined, reason: `no verdict: ${bad} did not complete with every page verified` };
  }
  const [fast, slow] = [...sound].sort((a, b) => b.totals.writesPerSecond - a.totals.writesPerSecond);
  if (!fast || !slow) return { winner: fast?.options.strategy, reason: 'only one strategy ran' };
  const busy = (r: RunResult) => r.totals.collectorBusyMs / Math.max(1, r.totals.iterations);
  const cost = (r: RunResult) => {
    const t = r.totals;
    const perIt = t.collectorBusyMs / Math.max(1, t.iterations);
    return r.options.strategy === 'bitmap' || r.options.strategy === 'clear-log'
      ? `${r.options.strategy} spent ${perIt.toFixed(1)} ms per iteration in the collector scanning the bitmap`
      : `${r.options.strategy} stalled its vCPUs ${((100 * t.stallMs) / (r.options.vcpus * t.runningMs)).toFixed(0)}% of their running time in ${t.fullExits.toLocaleString('en-US')} full exits, and spent ${perIt.toFixed(1)} ms per iteration harvesting and resetting`;
  };
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
