/**
 * How a dirty limit converged, read from a run's iteration reports: per vCPU, the running time
 * from which its dirty rate settled within a tolerance of the limit, the rate it achieved from
 * then on, and how much of that time it stayed inside. A rate is judged over windows of a few
 * iterations: one iteration moves by a whole ring's worth of entries at a time (960 of a
 * 1024-entry ring, ~10 % of a 100 ms iteration at 100,000 pages/s), which says nothing about
 * the limit. Settled means several windows in a row inside the tolerance; a neighbour that
 * later starves a vCPU for a moment on this shared machine shows in the share of windows
 * inside, not as a limit that never converged.
 */
import type { IterationReport } from '../run/result.ts';
import { summarize } from '../bench/stats.ts';
import type { GroupFigure, GroupJudge, ScenarioResult } from './comparison.ts';

export interface ConvergenceOptions {
  /** The share of the limit a converged rate stays within. @default 0.1 */
  readonly tolerance?: number;
  /** Iterations per window. @default 3 */
  readonly window?: number;
  /** Consecutive windows inside the tolerance that make it settled. @default 3 */
  readonly settle?: number;
}

export interface VcpuConvergence {
  readonly vcpu: number;
  /** Running time before the first window of the first settled stretch; null if it never settled. */
  readonly convergedAtMs: number | null;
  /** Dirty pages per second from then to the end of the run; null if it never settled. */
  readonly achievedRate: number | null;
  /** (achieved - limit) / limit, in per cent. */
  readonly errorPercent: number | null;
  /** Of the windows from then on, the share inside the tolerance. */
  readonly withinShare: number | null;
}

export interface LimitConvergence {
  readonly limit: number;
  readonly tolerance: number;
  readonly windowIterations: number;
  readonly vcpus: readonly VcpuConvergence[];
  /** When the last vCPU settled; null if one did not. */
  readonly convergedAtMs: number | null;
  /** Mean over the vCPUs of their achieved rates; null if one did not settle. */
  readonly achievedRate: number | null;
  readonly errorPercent: number | null;
  /** The smallest of the vCPUs' shares of windows inside the tolerance once settled. */
  readonly withinShare: number | null;
}

export function limitConvergence(iterations: readonly IterationReport[], limit: number, o: ConvergenceOptions = {}): LimitConvergence {
  const tolerance = o.tolerance ?? 0.1;
  const w = o.window ?? 3;
  const settle = o.settle ?? 3;
  const ids = iterations[0]?.vcpus.map((v) => v.vcpu) ?? [];
  const ms = iterations.map((it) => it.runningMs);
  const vcpus = ids.map((vcpu, index): VcpuConvergence => {
    const pages = iterations.map((it) => it.vcpus[index]?.dirtyPages ?? 0);
    const rate = (from: number, to: number) => sum(pages, from, to) / (sum(ms, from, to) / 1000);
    const inside = Array.from({ length: Math.max(0, iterations.length - w + 1) }, (_, s) => Math.abs(rate(s, s + w) / limit - 1) <= tolerance);
    const from = inside.findIndex((_, s) => s + settle <= inside.length && inside.slice(s, s + settle).every(Boolean));
    if (from < 0) return { vcpu, convergedAtMs: null, achievedRate: null, errorPercent: null, withinShare: null };
    const achieved = rate(from, iterations.length);
    const after = inside.slice(from);
    return {
      vcpu, convergedAtMs: sum(ms, 0, from), achievedRate: achieved, errorPercent: (achieved / limit - 1) * 100,
      withinShare: after.filter(Boolean).length / after.length,
    };
  });
  const all = vcpus.length > 0 && vcpus.every((v) => v.convergedAtMs !== null);
  const achievedRate = all ? vcpus.reduce((a, v) => a + v.achievedRate!, 0) / vcpus.length : null;
  return {
    limit, tolerance, windowIterations: w, vcpus,
    convergedAtMs: all ? Math.max(...vcpus.map((v) => v.convergedAtMs!)) : null,
    achievedRate,
    errorPercent: achievedRate === null ? null : (achievedRate / limit - 1) * 100,
    withinShare: all ? Math.min(...vcpus.map((v) => v.withinShare!)) : null,
  };
}

function sum(xs: readonly number[], from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  return s;
}

/** Each trial's convergence of a limited scenario. */
export function scenarioConvergence(r: ScenarioResult, o: ConvergenceOptions = {}): LimitConvergence[] {
  const limit = r.options.dirtyLimit ?? 0;
  return limit > 0 ? r.outcome.trials.map((t) => limitConvergence(t.iterations, limit, o)) : [];
}

const pct = (p: number) => `${p >= 0 ? '+' : '-'}${Math.abs(p).toFixed(1)}%`;

/**
 * `dirtylog compare dirty-limit`: no winner. For each limit, whether every vCPU's dirty rate
 * settled within 10 % of it, how soon (median over the trials), the rate it held from then on,
 * and what the limit cost the guest in writes per second against the scenario without one.
 */
export const DIRTY_LIMIT_JUDGE: GroupJudge = {
  won: 'no winner: each limit is judged on whether every vCPU\'s dirty rate settled within 10% of it (3 windows of 3 iterations in a row), how soon, the rate held from then on and how much of the time inside 10%, and the guest writes per second it cost against the scenario without a limit',
  judge(_group, results) {
    const free = results.find((r) => !r.options.dirtyLimit);
    const freeWps = free?.outcome.summary.writesPerSecond.median;
    const figures: GroupFigure[] = [];
    const said = results.filter((r) => r.options.dirtyLimit).map((r) => {
      const runs = scenarioConvergence(r);
      const converged = runs.filter((c) => c.convergedAtMs !== null);
      const wps = r.outcome.summary.writesPerSecond.median;
      const cost = freeWps ? 1 - wps / freeWps : null;
      const at = converged.length === runs.length ? median(converged.map((c) => c.convergedAtMs!)) : null;
      const achieved = converged.length ? median(converged.map((c) => c.achievedRate!)) : null;
      const error = achieved === null ? null : (achieved / r.options.dirtyLimit! - 1) * 100;
      const within = converged.length ? Math.min(...converged.map((c) => c.withinShare!)) : null;
      figures.push(
        { scenario: r.name, name: 'converged within 10% after (running time, median)', value: at === null ? null : at / 1000, unit: 's' },
        { scenario: r.name, name: 'dirty pages per second per vCPU once converged', value: achieved, unit: 'pages/s' },
        { scenario: r.name, name: 'error once converged', value: error, unit: '%' },
        { scenario: r.name, name: 'windows inside 10% once converged (worst vCPU, worst trial)', value: within === null ? null : within * 100, unit: '%' },
        { scenario: r.name, name: 'guest writes per second lost to the limit', value: cost === null ? null : cost * 100, unit: '%' },
      );
      const settled = at === null
        ? `did not settle within 10% in ${runs.length - converged.length} of ${runs.length} trial${runs.length > 1 ? 's' : ''}`
        : `settled within 10% after ${(at / 1000).toFixed(2)} s of running, then held ${Math.round(achieved!).toLocaleString('en-US')} pages/s per vCPU (${pct(error!)}; ${(within! * 100).toFixed(0)}% of its 3-iteration windows inside)`;
      return `${r.name} ${settled}${cost === null ? '' : `, and cost the guest ${(cost * 100).toFixed(0)}% of its writes per second`}`;
    });
    const base = free ? ` Without a limit each vCPU dirtied ${Math.round(median(free.outcome.trials.flatMap((t) => t.iterations.flatMap((it) => it.vcpus.map((v) => v.dirtyRate ?? 0))))).toLocaleString('en-US')} pages/s (median iteration).` : '';
    return { winner: undefined, reason: `${said.join('; ')}.${base}`, figures };
  },
};

const median = (xs: readonly number[]): number => summarize(xs).median;
