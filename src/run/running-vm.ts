/**
 * A running VM for a program to drive, as a migration drives QEMU's: the threads of a run
 * (vCPUs writing guest memory, the collector as the VMM) without the dirty_log_test rounds.
 * The program asks for a dirty-log sync whenever it wants one (it resolves with the dirty
 * pages as a bitmap), pauses and resumes every vCPU at a slice boundary, reads page contents
 * straight from the shared arena, and sets auto-converge's CPU throttle. Events report every
 * sync. Every wait is bounded and names the thread that did not answer; a failed thread fails
 * the VM with its name; `stop()` leaves no thread, timer or listener behind.
 */
import type { Arena } from '../kvm/arena.ts';
import { ABI } from '../layout.ts';
import type { Missed } from '../threads/protocol.ts';
import type { TrackingMode } from '../tracking/index.ts';
import { DirtySet } from './dirty-set.ts';
import { guestVm } from './guest.ts';
import { resolveRunOptions, type ResolvedRunOptions, type RunOptions, type RunSummaryOptions } from './options.ts';
import type { RunError } from './result.ts';
import { RunThreads, ThreadFailure } from './threads.ts';
import { loadVcpuState, saveVcpuState, type VcpuState } from './vcpu-state.ts';

/** A running VM's options: a run's, less what only rounds use; `paused` starts it with every vCPU paused. */
export type VmOptions = Omit<RunOptions, 'seconds' | 'iterations' | 'intervalMs' | 'minWrites' | 'dirtyRate' | 'samplePages'> & {
  /** Start with every vCPU paused (a migration's destination, loading memory first). @default false */
  readonly paused?: boolean;
};

const ROUND_ONLY = ['seconds', 'iterations', 'intervalMs', 'minWrites', 'dirtyRate', 'samplePages'];

/** What one sync found. */
export interface VmSync {
  readonly kind: 'sync';
  /** 1 for the VM's first sync. */
  readonly sync: number;
  /** The pages reported dirty since the previous sync, as KVM's bitmap. */
  readonly set: DirtySet;
  readonly entriesHarvested: number;
  readonly entriesReset: number;
  /** Wall time of the sync, kick to reply. */
  readonly ms: number;
  /** Verify: completed writes this sync did not report (0 when all is well), and the first few. */
  readonly missedCount: number;
  readonly missed: readonly Missed[];
}

export type VmEvent =
  | VmSync
  | { readonly kind: 'paused' }
  | { readonly kind: 'resumed' }
  | { readonly kind: 'throttle'; readonly percent: number }
  | { readonly kind: 'failed'; readonly error: RunError };

/** What a stopped VM reports. */
export interface VmResult {
  readonly kind: 'stopped' | 'failed';
  readonly error?: RunError;
  readonly writes: number;
  readonly syncs: number;
  /** Verify: every sync checked against the guest's record of completed writes. */
  readonly verification: { readonly kind: 'off' } | { readonly kind: 'passed' | 'failed'; readonly syncsChecked: number; readonly missedCount: number; readonly missed: readonly Missed[] };
}

/** Start a VM whose vCPUs run until `stop()`. Options are checked before anything starts. */
export async function startVm(options: VmOptions): Promise<RunningVm> {
  const { paused = false, ...rest } = (options ?? {}) as VmOptions & Record<string, unknown>;
  for (const k of ROUND_ONLY) {
    if (Object.hasOwn(rest, k)) throw new TypeError(`options.${k} applies to startRun's rounds, not to a running VM: drop it; the VM runs until stop()`);
  }
  if (typeof paused !== 'boolean') throw new TypeError(`options.paused must be a boolean, got ${typeof paused}`);
  const { options: o, mode, signal } = resolveRunOptions({ contents: true, ...rest });
  if (o.backend === 'kvm') {
    throw new RangeError("backend kvm runs startRun's rounds only: a running VM hands out guest memory as a view of the model's arena, which a kvm guest does not write: use backend model");
  }
  const vm = await guestVm(o, mode);
  const threads = new RunThreads({
    arena: vm.arena, mode, options: o, vcpus: vm.vcpus.map((v) => v.id), devices: vm.devices.map((d) => d.id), slots: [0], mirror: undefined,
  });
  const running = new RunningVm(vm.arena, threads, o, mode);
  try {
    await threads.ready(signal);
  } catch (err) {
    await running.stop();
    throw err instanceof Error ? err : new Error(String(err));
  }
  if (signal) running.stopOnAbort(signal);
  if (!paused) running.resume();
  return running;
}

export class RunningVm {
  readonly options: RunSummaryOptions;
  readonly pages: number;
  readonly pageSize = ABI.PAGE_SIZE;
  readonly #arena: Arena;
  readonly #threads: RunThreads;
  readonly #o: ResolvedRunOptions;
  readonly #listeners = new Set<(e: VmEvent) => void>();
  #queue: Promise<unknown> = Promise.resolve();
  #paused = true;
  #stopped: Promise<VmResult> | undefined;
  #syncs = 0;
  #verify = { syncsChecked: 0, missedCount: 0, missed: [] as Missed[] };
  #failureEmitted = false;
  #offAbort: (() => void) | undefined;

  /** @internal use {@link startVm}. */
  constructor(arena: Arena, threads: RunThreads, o: ResolvedRunOptions, readonly mode: TrackingMode) {
    const { inject: _i, timeouts: _t, ...summary } = o;
    this.options = summary;
    this.pages = o.pages;
    this.#arena = arena;
    this.#threads = threads;
    this.#o = o;
    threads.failed.addEventListener('abort', () => this.#emitFailure(), { once: true });
  }

  /**
   * Guest memory, a view of the shared arena: page p is bytes [p × 4096, (p + 1) × 4096). Read
   * a page after the sync that reported it (the sync re-arms first, so a write after the read is
   * reported again). Undefined for a tracking-only VM (`contents: false`).
   */
  get memory(): Uint8Array | undefined {
    const r = this.#arena.plan.slots[0]!;
    return r.contents ? this.#arena.u8.subarray(r.contents, r.contents + this.pages * ABI.PAGE_SIZE) : undefined;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Aborted when a thread fails; `failure` says which and why. */
  get failed(): AbortSignal {
    return this.#threads.failed;
  }

  get failure(): RunError | undefined {
    const f = this.#threads.failure;
    return f && { message: f.message, thread: f.blamed.thread, ...('vcpu' in f.blamed ? { vcpu: f.blamed.vcpu } : {}) };
  }

  /** The value every guest write stamps into its page's first 4 bytes. */
  get stamp(): number {
    return this.#arena.vm.iteration;
  }

  set stamp(value: number) {
    this.#arena.vm.iteration = value >>> 0;
  }

  /** Auto-converge's CPU throttle, in percent (0 to 99). */
  get throttle(): number {
    return this.#arena.vm.throttlePct;
  }

  setThrottle(percent: number): void {
    if (!Number.isInteger(percent) || percent < 0 || percent > 99) throw new RangeError(`percent must be a whole number from 0 to 99, got ${percent}`);
    this.#arena.vm.throttlePct = percent;
    this.#emit({ kind: 'throttle', percent });
  }

  /** Guest writes so far, over every vCPU, and their ring-full exits and stall time. */
  counters(): { writes: number; fullExits: number; stallMs: number } {
    return this.#threads.counters();
  }

  /** Call `fn` for every event of this kind from now on; returns the function that stops it. */
  on<K extends VmEvent['kind']>(kind: K, fn: (e: Extract<VmEvent, { kind: K }>) => void): () => void {
    const l = (e: VmEvent) => e.kind === kind && fn(e as Extract<VmEvent, { kind: K }>);
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  /**
   * One dirty-log sync with the VM's mode (kick, harvest, reset; or GET, or GET and CLEAR),
   * running or paused. Resolves with the pages reported since the previous sync. Syncs run
   * one at a time, in call order.
   */
  sync(signal?: AbortSignal): Promise<VmSync> {
    return this.#serial(async () => {
      this.#live();
      const t0 = performance.now();
      const reply = await this.#threads.syncWithSet(true, true, signal);
      const s: VmSync = {
        kind: 'sync', sync: ++this.#syncs, set: new DirtySet(reply.sets![0]!, this.pages), entriesHarvested: reply.entriesHarvested,
        entriesReset: reply.entriesReset, ms: performance.now() - t0, missedCount: reply.missedCount, missed: reply.missed,
      };
      if (this.#o.verify) {
        this.#verify.syncsChecked++;
        this.#verify.missedCount += reply.missedCount;
        this.#verify.missed.push(...reply.missed.slice(0, Math.max(0, 50 - this.#verify.missed.length)));
      }
      this.#emit(s);
      return s;
    });
  }

  /** Verify: what the syncs so far found (every completed write reported, or the writes missed). */
  verification(): VmResult['verification'] {
    const v = this.#verify;
    return this.#o.verify ? { kind: v.missedCount ? 'failed' : 'passed', syncsChecked: v.syncsChecked, missedCount: v.missedCount, missed: v.missed.slice() } : { kind: 'off' };
  }

  /** Pause every vCPU at its next slice boundary; resolves once each has acknowledged. */
  pause(signal?: AbortSignal): Promise<void> {
    return this.#serial(async () => {
      this.#live();
      await this.#threads.pause(signal);
      this.#paused = true;
      this.#emit({ kind: 'paused' });
    });
  }

  /** Let every vCPU run again. */
  resume(): void {
    this.#live();
    this.#threads.resume(this.#arena.vm.iteration || 1);
    this.#paused = false;
    this.#emit({ kind: 'resumed' });
  }

  /** The vCPUs' guest state (their workload's position and random state): what a migration carries. Paused only. */
  saveVcpus(): VcpuState[] {
    this.#pausedOnly('saveVcpus');
    return this.#vcpuIds().map((id) => saveVcpuState(this.#arena.vcpus[id]!));
  }

  /** Load vCPU state saved by another VM of the same shape. Paused only; checked whole before anything changes. */
  loadVcpus(states: readonly VcpuState[]): void {
    this.#pausedOnly('loadVcpus');
    const ids = this.#vcpuIds();
    if (!Array.isArray(states) || states.length !== ids.length) throw new RangeError(`states must hold one state per vCPU (${ids.length}), got ${Array.isArray(states) ? states.length : typeof states}`);
    const checked = states.map((s, i) => loadVcpuState.check(`states[${i}]`, s, this.#arena.vcpus[ids[i]!]!));
    checked.forEach((apply) => apply());
  }

  /** Stop every thread (at most the run's stop timeout each); what the VM did, and how it ended. */
  stop(): Promise<VmResult> {
    this.#stopped ??= (async () => {
      this.#offAbort?.();
      await this.#queue.catch(() => {});
      await this.#threads.stop();
      const error = this.failure;
      return {
        kind: error ? 'failed' : 'stopped',
        ...(error ? { error } : {}),
        writes: this.#threads.counters().writes,
        syncs: this.#syncs,
        verification: this.verification(),
      } satisfies VmResult;
    })();
    return this.#stopped;
  }

  /** @internal startVm: the user's signal stops the VM. */
  stopOnAbort(signal: AbortSignal): void {
    const stop = () => void this.stop();
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    this.#offAbort = () => signal.removeEventListener('abort', stop);
  }

  #vcpuIds(): number[] {
    return Array.from({ length: this.#o.vcpus }, (_, i) => i);
  }

  #pausedOnly(what: string): void {
    if (!this.#paused) throw new RangeError(`${what} needs the VM paused, got it running: await vm.pause() first`);
  }

  #live(): void {
    if (this.#stopped) throw new RangeError('the VM has stopped: start another with startVm');
    const f = this.#threads.failure;
    if (f) throw f;
  }

  #serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(f, f);
    this.#queue = next.catch(() => {});
    return next;
  }

  #emitFailure(): void {
    const error = this.failure;
    if (this.#failureEmitted || !error) return;
    this.#failureEmitted = true;
    this.#emit({ kind: 'failed', error });
  }

  #emit(e: VmEvent): void {
    for (const l of this.#listeners) l(e);
  }
}

export { ThreadFailure };
