/**
 * What a migration reports, in QEMU's query-migrate vocabulary where it has a word: per round
 * (transferred, remaining, dirty-pages-rate, dirty-sync-count, mbps, expected-downtime, throttle
 * percentage) and at the end (total time, downtime, setup time). Plain data throughout.
 */
import type { StateOutcome } from './vm-state.ts';

export interface RoundStats {
  /** 1 is the first full pass. */
  readonly round: number;
  /** Pages sent in this round. */
  readonly pagesSent: number;
  /** Bytes written to the stream so far (QEMU "transferred"). */
  readonly transferred: number;
  /** Dirty bytes left after this round's sync (QEMU "remaining"). */
  readonly remaining: number;
  /** Pages dirtied per second during the round (QEMU "dirty-pages-rate"). */
  readonly dirtyPagesRate: number;
  /** Dirty-log syncs so far (QEMU "dirty-sync-count"). */
  readonly dirtySyncCount: number;
  /** Throughput of the round, megabits per second (QEMU "mbps"). */
  readonly mbps: number;
  /** Remaining bytes over the bandwidth estimate, ms (QEMU "expected-downtime"). */
  readonly expectedDowntimeMs: number;
  /** Auto-converge's CPU throttle during the round, percent (QEMU "cpu-throttle-percentage"). */
  readonly throttlePercent: number;
  /** The per-vCPU dirty limit in force during the round, pages per second (0 = none). */
  readonly dirtyLimit: number;
  /** Bandwidth limit, bytes per second. */
  readonly bandwidth: number;
  /** Wall time of the round: sending its pages, then its sync. */
  readonly ms: number;
  readonly syncMs: number;
  /** Guest writes during the round. */
  readonly guestWrites: number;
}

export type MigrationPhase = 'connect' | 'setup' | 'rounds' | 'stop-and-copy' | 'switchover' | 'proof';

export interface MigrationTotals {
  /** Connect to the end (QEMU "total-time"), ms. */
  readonly totalMs: number;
  /** Connect to the first page (QEMU "setup-time"), ms. */
  readonly setupMs: number;
  /** Guest paused on the source until running on the destination (QEMU "downtime"), ms; undefined if it never paused. */
  readonly downtimeMs: number | undefined;
  /** Of the downtime: the final sync, the final pages and state, the destination's resume. */
  readonly downtime: { readonly syncMs: number; readonly sendMs: number; readonly resumeMs: number } | undefined;
  readonly transferred: number;
  readonly pagesSent: number;
  /** Pages sent in the final copy, vCPUs paused. */
  readonly finalPages: number;
  readonly rounds: number;
  readonly dirtySyncCount: number;
  /** Proof: source hashes compared after the switchover. */
  readonly proofMs: number | undefined;
}

/** The destination's comparison of every page with the source's frozen memory. */
export interface Proof {
  readonly pagesCompared: number;
  readonly differingCount: number;
  /** The first differing pages, by number. */
  readonly differing: readonly number[];
}

interface MigrationRecord {
  /** What the migration was allowed: bytes per second, the downtime budget, the rounds. */
  readonly limits: { readonly bandwidth: number; readonly maxDowntimeMs: number; readonly maxRounds: number; readonly autoConverge: boolean };
  readonly rounds: readonly RoundStats[];
  readonly totals: MigrationTotals;
  /** The destination's outcome per state model (empty when it never got the state). */
  readonly state: readonly StateOutcome[];
  readonly proof: Proof | undefined;
  /** Verify: syncs checked against the guest's record of completed writes, and pages missed. */
  readonly verification: { readonly kind: 'off' } | { readonly kind: 'passed' | 'failed'; readonly syncsChecked: number; readonly missedCount: number };
  /** One sentence: what happened. */
  readonly verdict: string;
  /** Where the guest runs now. */
  readonly guestRunsOn: 'source' | 'destination';
}

export type FailureCause = 'refused' | 'not-converged' | 'peer-gone' | 'stream' | 'timeout' | 'thread' | 'state' | 'proof';

/** migrated: every page equal and every state model restored · failed · aborted (the signal). */
export type MigrationResult =
  | (MigrationRecord & { readonly kind: 'migrated' })
  | (MigrationRecord & { readonly kind: 'failed'; readonly cause: FailureCause; readonly phase: MigrationPhase; readonly reason: string; readonly bytesSent: number })
  | (MigrationRecord & { readonly kind: 'aborted'; readonly phase: MigrationPhase; readonly bytesSent: number });

export type MigrationEvent =
  | { readonly kind: 'setup'; readonly setupMs: number; readonly pages: number }
  | { readonly kind: 'round'; readonly stats: RoundStats }
  | { readonly kind: 'throttle'; readonly percent: number }
  | { readonly kind: 'stop-and-copy'; readonly pages: number; readonly expectedDowntimeMs: number }
  | { readonly kind: 'resumed'; readonly downtimeMs: number }
  | { readonly kind: 'finished'; readonly result: MigrationResult };
