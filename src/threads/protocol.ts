/**
 * The protocol between the host (main thread), the vCPU threads and the collector thread:
 * what each worker receives at start-up and the messages it exchanges. Shared state moves
 * through the arena (control words, doorbells); messages carry only commands and results.
 */
import type { GuestRunSpec } from '../backend/kvm/guest-run.ts';
import type { KvmVmHandle } from '../backend/kvm/kvm-vm.ts';
import type { ArenaHandle } from '../kvm/arena.ts';
import type { BrokenCollector, ModeName } from '../tracking/index.ts';

/**
 * Test hooks, in one message: faults to inject and interleavings to force, so tests can
 * prove that failures reach the user named and that the verifier catches what it claims.
 * Only the inject modules of each worker read it.
 */
export interface Inject {
  /**
   * vCPU `vcpu` throws (`throw`), or its thread exits (`exit`), after this many slices,
   * counted from round `fromIteration` (1 by default): counting from a round makes the
   * rounds reported before the failure independent of how the machine schedules threads.
   */
  readonly vcpuFailsAfterSlices?: { readonly vcpu: number; readonly slices: number; readonly how?: 'throw' | 'exit'; readonly fromIteration?: number };
  /** vCPU `vcpu` stops answering anything (pauses, kicks) after this many slices. */
  readonly vcpuHangsAfterSlices?: { readonly vcpu: number; readonly slices: number };
  /** The collector throws on this sync. */
  readonly collectorFailsOnSync?: number;
  /** The collector stops reaping and answering from the start (a held VMM). */
  readonly collectorHangs?: boolean;
  /**
   * On the first collection that has something to re-arm while the vCPUs run, pause them
   * between collecting and re-arming, and wait for every acknowledgement. The vCPUs keep
   * writing until they see the pause, so pages already collected are rewritten inside the
   * window, and nothing is written after the re-arm.
   */
  readonly pauseBeforeFirstRearm?: boolean;
  /**
   * The kvm backend: the guest looks at its stop word only every this many writes (not before
   * each one), so a kicked or paused guest finishes its batch first, as the model's vCPU
   * finishes its slice: with pauseBeforeFirstRearm, the rewrites inside the window.
   */
  readonly guestBatchWrites?: number;
}

export interface VcpuWorkerData {
  readonly arena: ArenaHandle;
  /** The control blocks this thread runs, time-sliced: vCPUs, or one device writer. */
  readonly vcpus: readonly number[];
  /** A "device": writes as no vCPU (KVM-internal or device writes). */
  readonly device: boolean;
  /** Guest writes per slice: the granularity at which kicks, pauses and stops are seen. */
  readonly sliceWrites: number;
  /** Guest writes per second, 0 = as fast as possible. */
  readonly writeRate: number;
  /** How long a full vCPU waits for the collector to reset its ring before blaming it. */
  readonly fullWaitTimeoutMs: number;
  /** How long a paused vCPU waits for the host to resume or stop it before blaming it. */
  readonly pauseTimeoutMs: number;
  /** Nanoseconds a vCPU spends per page it logs, on top of the engine's (a calibrated kernel fault cost); 0 = none. */
  readonly faultCostNs: number;
  readonly inject?: Inject;
}

/**
 * A run on the kvm backend: the real VM (descriptors and addresses) and where its guests keep
 * their control blocks. The arena then holds only the VMM's side (control words, counters,
 * the collected and verifier's bitmaps); guest memory, rings and write protection are KVM's.
 */
export interface KvmRunHandle {
  readonly vm: KvmVmHandle;
  readonly guest: GuestRunSpec;
}

/** A vCPU thread on the kvm backend: one vCPU, in KVM_RUN. */
export interface KvmVcpuWorkerData {
  readonly arena: ArenaHandle;
  readonly kvm: KvmRunHandle;
  readonly vcpu: number;
  /** Writes per KVM_RUN at most: how often the guest's counters reach the arena. */
  readonly sliceWrites: number;
  readonly writeRate: number;
  readonly fullWaitTimeoutMs: number;
  readonly pauseTimeoutMs: number;
  readonly inject?: Inject;
}

/** Which thread did not do its part: the one a timeout blames. */
export type Blamed = { readonly thread: 'collector' | 'host' } | { readonly thread: 'vcpu' | 'device'; readonly vcpu: number };

export type VcpuMessage =
  | { readonly kind: 'ready'; readonly vcpus: readonly number[] }
  /** This thread gave up waiting for another one; it exits cleanly after sending this. */
  | { readonly kind: 'blame'; readonly blamed: Blamed; readonly message: string };

/** QEMU's dirty limit, as the collector runs it (src/vmm/dirty-limit.ts). */
export interface DirtyLimitSpec {
  /** The quota of every vCPU, in dirty pages per second. */
  readonly pagesPerSecond: number;
  /** QEMU's measurement period (x-vcpu-dirty-limit-period; 1000 ms for set-vcpu-dirty-limit). */
  readonly periodMs: number;
}

export interface CollectorWorkerData {
  readonly arena: ArenaHandle;
  readonly mode: ModeName;
  readonly broken: BrokenCollector | undefined;
  /** Every vCPU (kicked at syncs; their rings collected in ring modes). */
  readonly vcpus: readonly number[];
  readonly slots: readonly number[];
  /** QEMU's reaper period (1 s there); ring modes reap at least this often, 0 = continuously. */
  readonly reapIntervalMs: number;
  /** clear-log: pages per KVM_CLEAR_DIRTY_LOG call (QEMU: 2^18 = 1 GiB). */
  readonly clearChunkPages: number;
  /** How long a sync waits for a kicked vCPU to acknowledge. */
  readonly kickTimeoutMs: number;
  /** Host-side copy of guest memory (content mode): pages are copied here after collection. */
  readonly mirror: SharedArrayBuffer | undefined;
  /** Check every sync against the guest's record of completed writes (content mode). */
  readonly verify: boolean;
  /** The model only: time the collector spends per ring entry it resets, in ns (a calibrated kernel cost). */
  readonly resetCostNs: number;
  /** The kvm backend: the real VM whose rings and bitmaps it collects. */
  readonly kvm?: KvmRunHandle;
  /** QEMU's dirty limit on every vCPU (ring modes), or none. */
  readonly dirtyLimit: DirtyLimitSpec | undefined;
  readonly inject?: Inject;
}

export type CollectorCommand =
  /** `set`: reply with the sync's pages as bitmaps (an embedding host's sync: a migration's round). */
  | { readonly kind: 'sync'; readonly id: number; readonly final: boolean; readonly set?: boolean }
  | { readonly kind: 'stop' };

/**
 * A page the verifier's ground truth has and the collector does not: written before a sync
 * that did not report it, or re-armed by KVM without having been reported to the VMM.
 */
export interface Missed {
  readonly kind: 'written-but-not-collected' | 're-armed-but-not-collected';
  readonly page: number;
  /** The page's stamp when the loss was found (its low half: the iteration of its last write). */
  readonly stamp: number;
}

export interface SyncReply {
  readonly kind: 'synced';
  readonly id: number;
  /** Distinct pages this sync reported. */
  readonly pages: number;
  /** At a round's last sync: distinct pages the whole round reported. */
  readonly roundPages: number;
  readonly entriesHarvested: number;
  readonly entriesReset: number;
  readonly busyMs: number;
  /** Verify, or a sync that asked for its set: this sync's pages as KVM bitmaps, one per slot (a copy of the set, nothing more). */
  readonly sets: readonly Uint8Array[] | undefined;
  /** Verify: pages lost since the previous sync (count, and the first few), see Missed. */
  readonly missedCount: number;
  readonly missed: readonly Missed[];
}

export type CollectorReply =
  | { readonly kind: 'ready' }
  | SyncReply
  | { readonly kind: 'blame'; readonly blamed: Blamed; readonly message: string }
  | { readonly kind: 'stopped' };
