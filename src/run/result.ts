/** What a run reports: per iteration, per thread, in total, and how it ended. */
import type { CollectorTotals } from '../threads/protocol.ts';
import type { ResolvedRunOptions } from './options.ts';
import type { Violation } from './verify.ts';

export interface IterationReport {
  readonly iteration: number;
  /**
   * Pages reported dirty in this iteration. Verified runs count each page once; tracking-only
   * runs add the two collections, so a page reported by both counts twice.
   */
  readonly dirty: number;
  readonly clean: number;
  readonly writes: number;
  readonly fullExits: number;
  readonly stallMs: number;
  readonly entriesHarvested: number;
  readonly entriesReset: number;
  /** Wall time of the collection while running and of the one after the pause. */
  readonly syncMs: readonly [number, number];
  readonly violations: number;
  /** Time the vCPUs ran: from the resume to the last pause acknowledgement. */
  readonly runningMs: number;
  readonly elapsedMs: number;
}

export interface ThreadStats {
  readonly vcpu: number;
  readonly device: boolean;
  readonly writes: number;
  readonly fullExits: number;
  readonly stallMs: number;
  readonly pmlDrains: number;
  readonly passes: number;
}

export interface RunTotals {
  readonly iterations: number;
  readonly writes: number;
  readonly dirtyPages: number;
  readonly fullExits: number;
  readonly stallMs: number;
  /** Mean time a vCPU waited per full exit: how long harvest and reset took, as the guest saw it. */
  readonly stallPerExitMs: number;
  readonly entriesHarvested: number;
  readonly entriesReset: number;
  readonly collectorBusyMs: number;
  readonly elapsedMs: number;
  /** Time the vCPUs ran (iterations' running time): the base of the rates. */
  readonly runningMs: number;
  /** Guest writes per second of running time. */
  readonly writesPerSecond: number;
  /** Ring entries harvested per second of running time. */
  readonly entriesPerSecond: number;
}

export type Verification =
  | { readonly kind: 'passed'; readonly iterations: number; readonly pagesChecked: number }
  | { readonly kind: 'failed'; readonly violationCount: number; readonly violations: readonly Violation[]; readonly mirrorDiffers: readonly number[] };

export interface RunError {
  readonly message: string;
  readonly thread: 'vcpu' | 'device' | 'collector' | 'host';
  readonly vcpu?: number;
}

export interface RunResult {
  /** completed: ran to the end · aborted: stopped by the signal, partial · failed: a thread failed, partial. */
  readonly kind: 'completed' | 'aborted' | 'failed';
  readonly options: Omit<ResolvedRunOptions, 'inject' | 'timeouts'>;
  readonly iterations: readonly IterationReport[];
  readonly totals: RunTotals;
  readonly threads: readonly ThreadStats[];
  readonly collector: CollectorTotals | undefined;
  readonly verification: Verification | undefined;
  readonly error: RunError | undefined;
}

export type RunEvent =
  | { readonly kind: 'started'; readonly options: RunResult['options'] }
  | { readonly kind: 'iteration'; readonly report: IterationReport }
  | { readonly kind: 'finished'; readonly result: RunResult };
