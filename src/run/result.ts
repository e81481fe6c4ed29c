/** What a run reports: per iteration, per thread, in total, and how it ended. Plain data throughout. */
import type { Blamed } from '../threads/protocol.ts';
import type { RunSummaryOptions } from './options.ts';
import type { Violation } from './verify.ts';

/** One vCPU in one iteration. */
export interface VcpuIterationReport {
  readonly vcpu: number;
  readonly writes: number;
  /** Pages it logged into its ring; null without rings (a bitmap does not say which vCPU dirtied a page). */
  readonly dirtyPages: number | null;
  /** dirtyPages per second of the iteration's running time: the rate a dirty limit holds (QEMU's per-vCPU dirty rate). */
  readonly dirtyRate: number | null;
  /** Time the dirty limit held it after its full exits (0 without a limit). */
  readonly throttleMs: number;
  /** Its hold per full exit when the iteration ended (QEMU's throttle_us_per_full; 0 without a limit). */
  readonly throttleUsPerFull: number;
}

export interface IterationReport {
  readonly iteration: number;
  /** Distinct pages the iteration's collections reported (a page reported twice counts once). */
  readonly dirty: number;
  readonly clean: number;
  readonly writes: number;
  readonly fullExits: number;
  readonly stallMs: number;
  readonly entriesHarvested: number;
  readonly entriesReset: number;
  /** Wall time of the collection while running and of the one after the pause. */
  readonly syncMs: readonly [number, number];
  /** Verify: the rules this iteration broke (0 when not verifying). */
  readonly violations: number;
  /** Time the vCPUs ran: from the resume to the last pause acknowledgement. */
  readonly runningMs: number;
  readonly elapsedMs: number;
  /** Every vCPU's writes, dirty rate and dirty-limit hold in this iteration. */
  readonly vcpus: readonly VcpuIterationReport[];
  /** The collector's reaps this iteration (full exits, its period, the dirty limit's periods; syncs not counted). */
  readonly collectorReaps: number;
  /** The collector thread's time on the VMM's work this iteration, syncs included. */
  readonly collectorBusyMs: number;
}

/** Quantiles of the time from a full exit to the vCPU's next write, in µs (from a log-spaced histogram: about 19 %). */
export interface StallQuantiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

export interface ThreadStats {
  readonly vcpu: number;
  /** The worker thread that ran it (0, 1, ...): several vCPUs share one with vcpusPerThread > 1. */
  readonly thread: number;
  readonly device: boolean;
  readonly writes: number;
  readonly fullExits: number;
  readonly stallMs: number;
  readonly stallPerExitUs: StallQuantiles;
  /** Time the dirty limit held it after full exits (0 without a limit). */
  readonly throttleMs: number;
  readonly pmlDrains: number;
  readonly passes: number;
}

/** The collector's counters, kept in the arena so they survive the collector thread. */
export interface CollectorTotals {
  readonly reaps: number;
  readonly syncs: number;
  readonly entriesHarvested: number;
  readonly entriesReset: number;
  /** Harvested records it could not place (forged slot or offset). */
  readonly entriesSkipped: number;
  /** Time spent collecting, all told: the collector thread's CPU time on the VMM's work. */
  readonly busyMs: number;
  /** Of which: userspace harvests (with marking what they took), and KVM_RESET_DIRTY_RINGS. */
  readonly harvestMs: number;
  readonly resetMs: number;
}

export interface RunTotals {
  readonly iterations: number;
  readonly writes: number;
  /** Sum over iterations of each iteration's distinct dirty pages. */
  readonly dirtyPages: number;
  readonly fullExits: number;
  readonly stallMs: number;
  /** Mean time a vCPU waited per full exit: how long harvest and reset took, as the guest saw it. */
  readonly stallPerExitMs: number;
  /** The same over every exit of every vCPU, as quantiles. */
  readonly stallPerExitUs: StallQuantiles;
  /** Time the dirty limit held the vCPUs, all told (0 without a limit). */
  readonly throttleMs: number;
  readonly entriesHarvested: number;
  readonly entriesReset: number;
  readonly collectorBusyMs: number;
  /** Collector time per harvested entry (harvest with marking) and per reset entry, in ns; 0 without entries. */
  readonly harvestNsPerEntry: number;
  readonly resetNsPerEntry: number;
  readonly elapsedMs: number;
  /** Time the vCPUs ran (iterations' running time): the base of the rates. */
  readonly runningMs: number;
  /** Guest writes per second of running time. */
  readonly writesPerSecond: number;
  /** Ring entries harvested per second of running time. */
  readonly entriesPerSecond: number;
}

/**
 * What the verifier found. `passed` means: every write the guest completed before a sync
 * was reported by that sync, no page was reported that the round did not write, and the
 * host's copy of guest memory equals the guest after every round (README: "What the
 * verifier proves").
 */
export type Verification =
  | { readonly kind: 'off' }
  | { readonly kind: 'passed'; readonly iterations: number; readonly syncsChecked: number; readonly pagesChecked: number }
  | { readonly kind: 'failed'; readonly violationCount: number; readonly violations: readonly Violation[]; readonly mirrorDiffers: readonly number[] };

export interface RunError {
  readonly message: string;
  readonly thread: Blamed['thread'];
  readonly vcpu?: number;
}

interface RunRecord {
  readonly options: RunSummaryOptions;
  readonly iterations: readonly IterationReport[];
  readonly totals: RunTotals;
  readonly threads: readonly ThreadStats[];
  readonly collector: CollectorTotals;
  readonly verification: Verification;
}

/** completed: ran to the end · aborted: stopped by the signal, partial · failed: a thread failed, partial. */
export type RunResult =
  | (RunRecord & { readonly kind: 'completed' })
  | (RunRecord & { readonly kind: 'aborted' })
  | (RunRecord & { readonly kind: 'failed'; readonly error: RunError });

export type RunEvent =
  | { readonly kind: 'started'; readonly options: RunSummaryOptions }
  | { readonly kind: 'iteration'; readonly report: IterationReport }
  | { readonly kind: 'finished'; readonly result: RunResult };
