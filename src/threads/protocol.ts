/**
 * The protocol between the host (main thread), the vCPU threads and the collector thread:
 * what each worker receives at start-up and the messages it exchanges. Shared state moves
 * through the arena (control words, doorbells); messages carry only commands and results.
 */
import type { EngineKind } from '../engine/exports.ts';
import type { ArenaPlan } from '../layout.ts';

/** What a thread needs to join the VM: the one memory, the compiled module, the layout. */
export interface ArenaHandle {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module | undefined;
  readonly engine: EngineKind;
  readonly plan: ArenaPlan;
}

export interface VcpuWorkerData {
  readonly arena: ArenaHandle;
  /** vCPU index, for messages and errors. */
  readonly vcpu: number;
  /** A "device": writes as no vCPU (KVM-internal or device writes). */
  readonly device: boolean;
  readonly ctl: number;
  /** Guest writes per slice: the granularity at which kicks, pauses and stops are seen. */
  readonly sliceWrites: number;
  /** Guest writes per second, 0 = as fast as possible. */
  readonly writeRate: number;
  /** How long a full vCPU waits for the collector to reset its ring before failing. */
  readonly fullWaitTimeoutMs: number;
  /** How long a paused vCPU waits for the host to resume or stop it before failing. */
  readonly pauseTimeoutMs: number;
  /** Test hook: fail after this many slices (proves errors reach the user with the vCPU). */
  readonly failAfterSlices?: number;
  /** How the test hook fails: throw an error, or end the thread as a terminate would. */
  readonly failHow?: 'throw' | 'exit';
}

export type VcpuMessage =
  | { readonly kind: 'ready'; readonly vcpu: number }
  | { readonly kind: 'exited'; readonly vcpu: number };

export type Strategy = 'ring' | 'bitmap' | 'clear-log' | 'ring-with-bitmap';
export const STRATEGIES: readonly Strategy[] = ['ring', 'bitmap', 'clear-log', 'ring-with-bitmap'];

/**
 * Deliberately broken collectors, for proving that the verifier catches them:
 * drop one harvested entry in a thousand; never re-arm pages; copy page contents before
 * the reset that re-arms them.
 */
export type BrokenCollector = 'drop-entries' | 'never-rearm' | 'read-before-reset';

export interface SlotInfo {
  readonly id: number;
  readonly desc: number;
  readonly pages: number;
  readonly snapshot: number;
  readonly clearArg: number;
  readonly collected: number;
  readonly contents: number;
  readonly bitmapBytes: number;
  /** Where this slot's pages start in the host mirror (content mode). */
  readonly mirrorOffset: number;
}

export interface CollectorWorkerData {
  readonly arena: ArenaHandle;
  readonly strategy: Strategy;
  readonly vcpus: readonly { readonly id: number; readonly ctl: number }[];
  readonly slots: readonly SlotInfo[];
  /** QEMU's reaper period (1 s there); ring strategies reap at least this often. */
  readonly reapIntervalMs: number;
  /** clear-log: pages per KVM_CLEAR_DIRTY_LOG call (QEMU: 2^18 = 1 GiB). */
  readonly clearChunkPages: number;
  /** How long a sync waits for a kicked vCPU to acknowledge. */
  readonly kickTimeoutMs: number;
  /** Host-side copy of guest memory (content mode): pages are copied here after collection. */
  readonly mirror: SharedArrayBuffer | undefined;
  readonly broken: BrokenCollector | undefined;
  /** Test hook: throw on this sync number (proves a collector failure stops the run). */
  readonly failOnSync?: number;
  /**
   * Test hook forcing an interleaving: on the first reap that harvests anything while the
   * vCPUs run, pause them between the harvest and the reset and wait for every
   * acknowledgement. The vCPUs keep writing until they see the pause, so pages already
   * harvested are rewritten inside the window, and nothing is written after the reset.
   */
  readonly pauseBeforeFirstReset?: boolean;
}

export type CollectorCommand =
  | { readonly kind: 'sync'; readonly id: number; readonly final: boolean; readonly wantPages: boolean }
  | { readonly kind: 'stop' };

export interface SyncStats {
  /** Pages newly reported by this sync (across slots). */
  readonly pages: number;
  readonly entriesHarvested: number;
  readonly entriesReset: number;
  readonly busyMs: number;
}

export interface CollectorTotals {
  readonly reaps: number;
  readonly syncs: number;
  readonly entriesHarvested: number;
  readonly entriesReset: number;
  readonly entriesSkipped: number;
  readonly busyMs: number;
}

export type CollectorReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'synced'; readonly id: number; readonly pages: readonly Uint32Array[] | null; readonly stats: SyncStats }
  | { readonly kind: 'stopped'; readonly totals: CollectorTotals };
