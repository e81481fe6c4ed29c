/**
 * A tracking mode: how a VMM learns which pages the guest wrote, as one record, in the spirit
 * of dirty_log_test's `log_modes` table. The run, the collector, the verifier and the
 * comparisons look a mode up once (see index.ts) and ask it; none of them compares a mode's
 * name. A new mode is one new file that exports one of these.
 */
import type { CollectContext } from './context.ts';

export type ModeName = 'ring' | 'bitmap' | 'clear-log' | 'ring-with-bitmap';

/** The KVM capabilities a mode needs: createVm's shorthand options. */
export interface ModeVmOptions {
  /** The architecture whose KVM has the capabilities (ring-with-bitmap: arm64 only). */
  readonly arch?: 'x86' | 'arm64';
  readonly dirtyRing?: { readonly entries: number; readonly pml: boolean };
  readonly ringWithBitmap?: boolean;
  readonly manualProtect?: { readonly initiallySet: boolean };
}

/** What one collection did, for the run's counters. */
export interface CollectStats {
  readonly harvested: number;
  readonly reset: number;
  /** Harvested records the VMM could not place (an unknown slot, an offset past the end). */
  readonly skipped: number;
}

export const NOTHING_COLLECTED: CollectStats = Object.freeze({ harvested: 0, reset: 0, skipped: 0 });

/** What the verifier may tolerate, and when each kind of write is collected. */
export interface VerifyRules {
  /** KVM_DIRTY_LOG_INITIALLY_SET: the first round's first GET reports every page. */
  readonly initiallySet: boolean;
  /**
   * When writes by a writer without a ring (every writer in bitmap modes, the device writer
   * in ring-with-bitmap) reach the collected bitmaps: at every sync, or only at the end of a
   * round (KVM's guidance for the backup bitmap: read it last, after the rings drained).
   */
  readonly ringlessCollected: 'every-sync' | 'round-end';
}

export interface TrackingMode {
  readonly name: ModeName;
  /** One line for help texts and reports. */
  readonly summary: string;
  /** Whether vCPUs log into per-vCPU rings (and so take ring-full exits). */
  readonly usesRing: boolean;
  /** The capabilities to enable, for the run's ring size and PML setting. */
  vmOptions(o: { readonly ringEntries: number; readonly pml: boolean }): ModeVmOptions;
  /**
   * Whether a sync waits for every kicked vCPU to answer before collecting (QEMU's
   * synchronous kick in ring mode drains PML); bitmap GET only kicks (kvm_arch_sync_dirty_log).
   */
  readonly syncWaitsForKick: boolean;
  /** Whether a vCPU-less device writer may run (its writes need a bitmap to land in). */
  readonly deviceWriter: 'never' | 'by-default';
  /**
   * How collected pages are re-armed: by KVM_RESET_DIRTY_RINGS, by the classic GET itself, by
   * KVM_CLEAR_DIRTY_LOG, or by the reset and then a final GET of the backup bitmap.
   */
  readonly rearm: 'reset' | 'get' | 'clear' | 'reset+get';
  /** What a collection costs: a walk of what was logged, or a scan of the whole guest. */
  readonly cost: 'per-dirty-page' | 'per-guest-page';
  readonly verify: VerifyRules;
  /**
   * Between syncs (ring modes): harvest every ring, mark, and reset, as QEMU's reaper does
   * on ring-full exits and on its period; at most `max` entries per ring when given (a reaper
   * that frees room a chunk at a time). Undefined when the mode collects only at syncs.
   */
  readonly reap?: (ctx: CollectContext, max?: number) => CollectStats;
  /** One sync: everything logged so far lands in the collected bitmaps, re-armed, then read (readCollected). */
  collect(ctx: CollectContext, final: boolean): CollectStats;
}
