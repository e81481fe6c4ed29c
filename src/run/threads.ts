/**
 * The threads of a run: spawned, supervised and torn down here. A thread that fails (throws,
 * exits, runs out of memory, or is blamed by another thread's timeout) fails the run with an
 * error naming it; every wait on a thread is bounded and names the thread that did not
 * answer; and when `stop()` resolves no thread, timer or listener of the run is left.
 */
import type { Worker } from 'node:worker_threads';
import { arenaHandle, type Arena } from '../kvm/arena.ts';
import { ABI, STALL_BUCKETS, stallQuantile } from '../layout.ts';
import { Control, type GuestStops } from '../threads/control.ts';
import type {
  Blamed, CollectorCommand, CollectorReply, CollectorWorkerData, KvmRunHandle, KvmVcpuWorkerData, SyncReply, VcpuMessage, VcpuWorkerData,
} from '../threads/protocol.ts';
import { spawnWorker } from '../threads/spawn.ts';
import type { TrackingMode } from '../tracking/index.ts';
import type { ResolvedRunOptions } from './options.ts';
import type { CollectorTotals, StallQuantiles, ThreadStats } from './result.ts';
import { settleWithin, within } from './waits.ts';

export function stallQuantiles(histogram: ArrayLike<number>): StallQuantiles {
  return { p50: stallQuantile(histogram, 0.5), p90: stallQuantile(histogram, 0.9), p99: stallQuantile(histogram, 0.99) };
}

/** One vCPU's running counters (see VCPU_FIELDS). */
export interface VcpuCounters {
  readonly vcpu: number;
  readonly writes: number;
  /** Pages it logged into its ring. */
  readonly pushes: number;
  readonly throttleUs: number;
  readonly throttleUsPerFull: number;
}

/** A thread failed, or did not answer: `blamed` names it. */
export class ThreadFailure extends Error {
  constructor(message: string, readonly blamed: Blamed) {
    super(message);
  }
}

export interface RunThreadsSpec {
  readonly arena: Arena;
  readonly mode: TrackingMode;
  readonly options: ResolvedRunOptions;
  readonly vcpus: readonly number[];
  /** Control blocks that run as vCPU-less device writers. */
  readonly devices: readonly number[];
  readonly slots: readonly number[];
  readonly mirror: SharedArrayBuffer | undefined;
  /** The kvm backend: the real VM the threads drive, and its guests' stop words for kicks and pauses. */
  readonly kvm?: { readonly handle: KvmRunHandle; readonly stops: GuestStops };
}

export class RunThreads {
  readonly control: Control;
  /** Aborted with the first ThreadFailure. */
  readonly failed: AbortSignal;
  readonly #failed = new AbortController();
  readonly #spec: RunThreadsSpec;
  readonly #collector: Worker;
  readonly #collectorExit: Promise<void>;
  /** One entry per vCPU thread: the control blocks it runs, in order. */
  readonly #workers: { readonly ids: readonly number[]; readonly label: string; readonly worker: Worker; readonly exit: Promise<void>; ready: boolean; exited: boolean }[] = [];
  /** Every vCPU and device writer, with the label errors give it. */
  readonly #vcpus: { readonly id: number; readonly label: string; readonly thread: number }[] = [];
  #threadCount = 0;
  #collectorReady = false;
  #failure: ThreadFailure | undefined;
  #stopping = { vcpus: false, collector: false };
  #syncs = 0;
  #pendingSyncs = new Map<number, (r: SyncReply) => void>();
  #readyWaiters: (() => void)[] = [];
  #later = new Map<NodeJS.Immediate, ThreadFailure>();

  constructor(spec: RunThreadsSpec) {
    this.#spec = spec;
    this.control = new Control(spec.arena, spec.kvm?.stops);
    this.failed = this.#failed.signal;
    const o = spec.options;
    const handle = arenaHandle(spec.arena);
    // Threads start paused: zeroed memory would otherwise read as RUN_RUNNING at iteration 0.
    spec.arena.vm.runState = ABI.RUN_PAUSED;
    const collectorData: CollectorWorkerData = {
      arena: handle, mode: spec.mode.name, broken: o.brokenCollector, vcpus: spec.vcpus, slots: spec.slots,
      reapIntervalMs: o.reapIntervalMs, clearChunkPages: o.clearChunkPages, kickTimeoutMs: o.timeouts.kickMs,
      mirror: spec.mirror, verify: o.verify, resetCostNs: o.resetCostNs,
      dirtyLimit: o.dirtyLimit ? { pagesPerSecond: o.dirtyLimit, periodMs: o.dirtyLimitPeriodMs } : undefined,
      ...(spec.kvm ? { kvm: spec.kvm.handle } : {}), ...(o.inject ? { inject: o.inject } : {}),
    };
    this.#collector = spawnWorker('vmm/collector-worker', collectorData, 'dirtylog collector');
    this.#collector.on('message', (m: CollectorReply) => this.#fromCollector(m));
    this.#collector.on('error', (e: Error) => this.fail(new ThreadFailure(`collector: ${e.message}`, { thread: 'collector' })));
    this.#collectorExit = new Promise((resolve) => this.#collector.on('exit', (code) => {
      if (!this.#stopping.collector) this.#failLater(new ThreadFailure(`collector thread exited unexpectedly (code ${code})`, { thread: 'collector' }));
      resolve();
    }));
    for (let i = 0; i < spec.vcpus.length; i += spec.options.vcpusPerThread) this.#spawnVcpus(spec.vcpus.slice(i, i + spec.options.vcpusPerThread), false);
    for (const id of spec.devices) this.#spawnVcpus([id], true);
  }

  get failure(): ThreadFailure | undefined {
    return this.#failure;
  }

  /** vCPU threads that have not exited (after stop(): ones that even terminate() could not end, stuck in KVM_RUN). */
  get vcpuThreadsLeft(): number {
    return this.#workers.filter((w) => !w.exited).length;
  }

  /** Record the run's first failure and tell every vCPU to leave at once. */
  fail(f: ThreadFailure): void {
    if (this.#failure) return;
    this.#failure = f;
    this.control.setRunState(ABI.RUN_ABORTED);
    this.#failed.abort(f);
  }

  /** Every thread has started; a thread that does not start in time is named. */
  async ready(...signals: (AbortSignal | undefined)[]): Promise<void> {
    const allReady = () => this.#collectorReady && this.#workers.every((w) => w.ready);
    const waiting = new Promise<void>((resolve) => {
      const check = () => (allReady() ? resolve() : this.#readyWaiters.push(check));
      check();
    });
    const ms = this.#spec.options.timeouts.startMs;
    await within(waiting, ms, () => {
      const late = this.#workers.find((w) => !w.ready);
      return this.#collectorReady && late
        ? new ThreadFailure(`${late.label} did not start within ${ms} ms`, this.#blamed(late.ids[0]!))
        : new ThreadFailure(`the collector did not start within ${ms} ms`, { thread: 'collector' });
    }, this.failed, ...signals);
  }

  /** Let every vCPU run round `iteration`. */
  resume(iteration: number): void {
    this.#spec.arena.vm.iteration = iteration;
    this.control.setRunState(ABI.RUN_RUNNING);
  }

  /** Pause every thread and wait until each has acknowledged; a thread that does not is named. */
  async pause(...signals: (AbortSignal | undefined)[]): Promise<void> {
    const c = this.control;
    const epoch = c.setRunState(ABI.RUN_PAUSED);
    const ms = this.#spec.options.timeouts.pauseMs;
    const deadline = performance.now() + ms;
    for (const { id, label } of this.#vcpus) {
      while (!c.acknowledged(id, epoch)) {
        if (this.failed.aborted || signals.some((s) => s?.aborted)) throw this.#failure ?? new Error('pause interrupted');
        if (performance.now() > deadline) throw new ThreadFailure(`${label} did not acknowledge the pause within ${ms} ms`, this.#blamed(id));
        await c.wait(c.vcpuWord(id, 'epochAck'), this.#spec.arena.vcpus[id]!.epochAck, 20);
      }
    }
  }

  /** One dirty-log sync by the collector; a collector that does not answer in time is named. */
  sync(final: boolean, ...signals: (AbortSignal | undefined)[]): Promise<SyncReply> {
    return this.syncWithSet(final, false, ...signals);
  }

  /** A sync that, with `set`, also brings back its pages as one bitmap per slot (copied once, transferred). */
  syncWithSet(final: boolean, set: boolean, ...signals: (AbortSignal | undefined)[]): Promise<SyncReply> {
    const id = ++this.#syncs;
    const reply = new Promise<SyncReply>((resolve) => this.#pendingSyncs.set(id, resolve));
    this.#collector.postMessage({ kind: 'sync', id, final, ...(set ? { set } : {}) } satisfies CollectorCommand);
    this.control.ring(this.control.vmWord('collectorBell')); // the collector sleeps on its bell, not its event loop
    const t = this.#spec.options.timeouts;
    const ms = t.kickMs + t.fullWaitMs;
    return within(reply, ms, () => new ThreadFailure(`the collector did not answer sync ${id} within ${ms} ms`, { thread: 'collector' }), this.failed, ...signals)
      .finally(() => this.#pendingSyncs.delete(id));
  }

  /** The counters a round needs, summed over every vCPU (cheap: no per-vCPU objects). */
  counters(): { writes: number; fullExits: number; stallMs: number } {
    let writes = 0;
    let fullExits = 0;
    let stallUs = 0;
    for (const { id } of this.#vcpus) {
      const c = this.#spec.arena.vcpus[id]!;
      writes += c.writes;
      fullExits += c.fullExits;
      stallUs += c.stallUs;
    }
    return { writes, fullExits, stallMs: stallUs / 1000 };
  }

  /** Each vCPU's counters a round reports per vCPU (device writers excluded), read from the arena. */
  vcpuCounters(): VcpuCounters[] {
    const { arena } = this.#spec;
    return this.#spec.vcpus.map((id) => {
      const c = arena.vcpus[id]!;
      return { vcpu: id, writes: c.writes, pushes: c.pushes, throttleUs: c.throttleUs, throttleUsPerFull: c.throttleUsPerFull };
    });
  }

  /** The collector's work so far: reaps and busy time, for a round's share. */
  collectorCounters(): { reaps: number; busyUs: number } {
    const vm = this.#spec.arena.vm;
    return { reaps: vm.collectorReaps, busyUs: vm.collectorBusyUs };
  }

  /** Every thread's counters, read from the arena. */
  readThreads(): ThreadStats[] {
    const { arena } = this.#spec;
    return this.#vcpus.map(({ id, thread }) => {
      const c = arena.vcpus[id]!;
      return {
        vcpu: id, thread, device: this.#spec.devices.includes(id), writes: c.writes, fullExits: c.fullExits,
        stallMs: c.stallUs / 1000, stallPerExitUs: stallQuantiles(this.stallHistogram([id])), throttleMs: c.throttleUs / 1000, pmlDrains: c.pmlDrains, passes: c.wPasses,
      };
    });
  }

  /** The stall histograms of these vCPUs, added up. */
  stallHistogram(ids: readonly number[]): number[] {
    const { arena } = this.#spec;
    const sum = new Array<number>(STALL_BUCKETS).fill(0);
    for (const id of ids) {
      const at = arena.plan.stallHists[id]! >>> 2;
      for (let b = 0; b < STALL_BUCKETS; b++) sum[b]! += arena.u32[at + b]!;
    }
    return sum;
  }

  /** The collector's counters, read from the arena (they outlive its thread). */
  collectorTotals(): CollectorTotals {
    const vm = this.#spec.arena.vm;
    return {
      reaps: vm.collectorReaps, syncs: vm.collectorSyncs, entriesHarvested: vm.collectorHarvested,
      entriesReset: vm.collectorReset, entriesSkipped: vm.collectorSkipped, busyMs: vm.collectorBusyUs / 1000,
      harvestMs: vm.collectorHarvestUs / 1000, resetMs: vm.collectorResetUs / 1000, looks: vm.collectorLooks,
    };
  }

  /**
   * Stop every thread: vCPUs first (they drain PML and finish a refused write while the
   * collector still serves them), then the collector. A thread that does not stop in time is
   * terminated, and named if the run had not failed already.
   */
  async stop(): Promise<void> {
    const ms = this.#spec.options.timeouts.stopMs;
    this.#stopping.vcpus = true;
    if (!this.#failure) this.control.setRunState(ABI.RUN_STOPPED);
    const vcpusGone = await settleWithin(Promise.all(this.#workers.map((w) => w.exit)), ms);
    if (!vcpusGone) {
      const stuck = this.#vcpus.find((v) => this.#spec.arena.vcpus[v.id]!.threadState === ABI.THREAD_RUNNING) ?? this.#vcpus[0]!;
      this.fail(new ThreadFailure(`${stuck.label} did not stop within ${ms} ms; terminated`, this.#blamed(stuck.id)));
      // A thread inside KVM_RUN runs no JavaScript until the ioctl returns: bound that wait too.
      await settleWithin(Promise.all(this.#workers.map((w) => w.worker.terminate())), ms);
    }
    this.#stopping.collector = true;
    this.#collector.postMessage({ kind: 'stop' } satisfies CollectorCommand);
    this.control.ring(this.control.vmWord('collectorBell'));
    if (!(await settleWithin(this.#collectorExit, ms))) {
      this.fail(new ThreadFailure(`the collector did not stop within ${ms} ms; terminated`, { thread: 'collector' }));
      await settleWithin(this.#collector.terminate(), ms);
    }
    // An exit seen just before is judged now, not after the run has ended.
    for (const [later, f] of this.#later) {
      clearImmediate(later);
      this.fail(f);
    }
    this.#later.clear();
  }

  /** One thread for these control blocks (vCPUs time-sliced by the thread, or one device writer). */
  #spawnVcpus(ids: readonly number[], device: boolean): void {
    const o = this.#spec.options;
    const name = (id: number) => (device ? `device writer ${id}` : `vCPU ${id}`);
    const label = ids.length === 1 ? name(ids[0]!) : `the thread of vCPUs ${ids[0]}-${ids.at(-1)}`;
    const thread = this.#threadCount++;
    for (const id of ids) this.#vcpus.push({ id, label: name(id), thread });
    const common = {
      arena: arenaHandle(this.#spec.arena), sliceWrites: o.sliceWrites, writeRate: o.writeRate,
      // A paused vCPU waits out the host's own bounded waits (the pause, the final sync) before it blames the host.
      fullWaitTimeoutMs: o.timeouts.fullWaitMs, pauseTimeoutMs: 2 * (o.timeouts.pauseMs + o.timeouts.kickMs + o.timeouts.fullWaitMs),
      ...(o.inject ? { inject: o.inject } : {}),
    };
    const kvm = this.#spec.kvm;
    const worker = kvm
      ? spawnWorker('vcpu/kvm-vcpu-worker', { ...common, kvm: kvm.handle, vcpu: ids[0]! } satisfies KvmVcpuWorkerData, `dirtylog ${label}`)
      : spawnWorker('vcpu/vcpu-worker', { ...common, vcpus: ids, device, faultCostNs: o.faultCostNs } satisfies VcpuWorkerData, `dirtylog ${label}`);
    const blamed = this.#blamed(ids[0]!);
    const exit = new Promise<void>((resolve) => worker.on('exit', (code) => {
      entry.exited = true;
      // A thread ended by process.exit or terminate() never ran its own clean-up: mark its
      // vCPUs gone here, so no kick or pause waits for an acknowledgement that cannot come.
      for (const id of ids) this.control.markExited(id);
      if (!this.#stopping.vcpus || code !== 0) this.#failLater(new ThreadFailure(`${label} thread exited unexpectedly (code ${code})`, blamed));
      resolve();
    }));
    const entry = { ids, label, worker, exit, ready: false, exited: false };
    this.#workers.push(entry);
    worker.on('message', (m: VcpuMessage) => {
      if (m.kind === 'ready') {
        entry.ready = true;
        this.#wakeReady();
      } else this.fail(new ThreadFailure(m.message, m.blamed));
    });
    worker.on('error', (e: Error) => {
      const message = e.message.startsWith(`${label}: `) ? e.message : `${label}: ${e.message}`;
      this.fail(new ThreadFailure(message, blamed));
    });
  }

  #fromCollector(m: CollectorReply): void {
    if (m.kind === 'ready') {
      this.#collectorReady = true;
      this.#wakeReady();
    } else if (m.kind === 'synced') this.#pendingSyncs.get(m.id)?.(m);
    else if (m.kind === 'blame') this.fail(new ThreadFailure(m.message, m.blamed));
  }

  #wakeReady(): void {
    for (const w of this.#readyWaiters.splice(0)) w();
  }

  /**
   * A thread that gave up on another posts its blame and then exits; let that message land
   * before an exit is taken as the failure.
   */
  #failLater(f: ThreadFailure): void {
    if (this.#failure) return;
    const later = setImmediate(() => {
      this.#later.delete(later);
      this.fail(f);
    });
    this.#later.set(later, f);
  }

  #blamed(id: number): Blamed {
    return { thread: this.#spec.devices.includes(id) ? 'device' : 'vcpu', vcpu: id };
  }
}
