/** A run's totals and its result, from the rounds and the threads' counters. */
import type { RunSummaryOptions } from './options.ts';
import { stallQuantiles } from './threads.ts';
import type { CollectorTotals, IterationReport, RunError, RunResult, RunTotals, ThreadStats, Verification } from './result.ts';
import type { Violation } from './verify.ts';

/** The verifier's findings, accumulated round by round. */
export class VerificationTally {
  #rounds = 0;
  #syncs = 0;
  #count = 0;
  #violations: Violation[] = [];
  #mirrorDiffers: readonly number[] = [];

  add(violations: readonly Violation[], violationCount: number, mirrorDiffers: readonly number[]): void {
    this.#rounds++;
    this.#syncs += 2;
    this.#count += violationCount;
    this.#violations.push(...violations.slice(0, Math.max(0, 50 - this.#violations.length)));
    if (mirrorDiffers.length) this.#mirrorDiffers = mirrorDiffers.slice(0, 50);
  }

  result(verify: boolean, pages: number): Verification {
    if (!verify || this.#rounds === 0) return { kind: 'off' };
    if (this.#count === 0 && this.#mirrorDiffers.length === 0) {
      return { kind: 'passed', iterations: this.#rounds, syncsChecked: this.#syncs, pagesChecked: this.#rounds * pages };
    }
    return { kind: 'failed', violationCount: this.#count, violations: this.#violations, mirrorDiffers: this.#mirrorDiffers };
  }
}

export interface Ending {
  readonly options: RunSummaryOptions;
  /** Every vCPU's stall histogram added up (layout.ts stallBucket). */
  readonly stallHistogram: readonly number[];
  readonly iterations: readonly IterationReport[];
  readonly threads: readonly ThreadStats[];
  readonly collector: CollectorTotals;
  readonly verification: Verification;
  readonly elapsedMs: number;
  readonly aborted: boolean;
  readonly error: RunError | undefined;
}

export function runResult(e: Ending): RunResult {
  const record = {
    options: e.options, iterations: e.iterations, totals: totals(e), threads: e.threads,
    collector: e.collector, verification: e.verification,
  };
  if (e.error) return { kind: 'failed', ...record, error: e.error };
  return { kind: e.aborted ? 'aborted' : 'completed', ...record };
}

function totals(e: Ending): RunTotals {
  const sum = (k: 'writes' | 'fullExits' | 'stallMs' | 'throttleMs') => e.threads.reduce((a, t) => a + t[k], 0);
  const writes = sum('writes');
  const fullExits = sum('fullExits');
  const stallMs = sum('stallMs');
  const runningMs = e.iterations.reduce((a, r) => a + r.runningMs, 0) || e.elapsedMs;
  const entriesHarvested = e.collector.entriesHarvested;
  return {
    iterations: e.iterations.length,
    writes,
    dirtyPages: e.iterations.reduce((a, r) => a + r.dirty, 0),
    fullExits,
    stallMs,
    stallPerExitMs: fullExits ? stallMs / fullExits : 0,
    stallPerExitUs: stallQuantiles(e.stallHistogram),
    throttleMs: sum('throttleMs'),
    entriesHarvested,
    entriesReset: e.collector.entriesReset,
    collectorBusyMs: e.collector.busyMs,
    harvestNsPerEntry: entriesHarvested ? (e.collector.harvestMs * 1e6) / entriesHarvested : 0,
    resetNsPerEntry: e.collector.entriesReset ? (e.collector.resetMs * 1e6) / e.collector.entriesReset : 0,
    elapsedMs: e.elapsedMs,
    runningMs,
    writesPerSecond: runningMs > 0 ? writes / (runningMs / 1000) : 0,
    entriesPerSecond: runningMs > 0 ? entriesHarvested / (runningMs / 1000) : 0,
  };
}
