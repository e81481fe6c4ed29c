/**
 * A run: vCPU threads write guest memory through the engine's fault path while the
 * collector thread plays the VMM, iteration after iteration as dirty_log_test does: run,
 * collect once while running, pause the vCPUs, collect again, verify. Everything the CLI
 * shows comes from here: typed events, per-iteration and total statistics, and a result
 * whose `kind` says how it ended. Every wait is bounded; a failing thread ends the run with
 * an error that names it and a result that keeps what was collected so far.
 */
import type { Worker } from 'node:worker_threads';
import { createVm } from '../kvm/vm.ts';
import { ABI } from '../layout.ts';
import { Control } from '../threads/control.ts';
import type { ArenaHandle, CollectorCommand, CollectorReply, CollectorTotals, CollectorWorkerData, SlotInfo, SyncStats, VcpuMessage, VcpuWorkerData } from '../threads/protocol.ts';
import { spawnWorker } from '../threads/spawn.ts';
import { configureWorkload, zipfCdf } from '../vcpu/workload.ts';
import { prng } from '../prng.ts';
import { resolveRunOptions, type ResolvedRunOptions, type RunOptions } from './options.ts';
import type { IterationReport, RunError, RunEvent, RunResult, ThreadStats } from './result.ts';
import { checkIteration, mirrorDifferences, type Violation } from './verify.ts';
import { enoughWrites, pauseAll, race, settleWithin, sleep } from './waits.ts';

export type { IterationReport, RunError, RunEvent, RunResult, RunTotals, ThreadStats, Verification } from './result.ts';

class ThreadFailure extends Error {
  constructor(message: string, readonly thread: RunError['thread'], readonly vcpu?: number) {
    super(message);
  }
}

/** Start a run. Options are checked before anything starts; a bad one throws here. */
export function startRun(options: RunOptions): Run {
  return new Run(resolveRunOptions(options), options.signal);
}

export class Run {
  readonly result: Promise<RunResult>;
  #events: RunEvent[] = [];
  #listeners = new Set<(e: RunEvent) => void>();
  #waiting: (() => void)[] = [];

  /** @internal use {@link startRun}. */
  constructor(opts: ResolvedRunOptions, signal: AbortSignal | undefined) {
    this.result = drive(opts, signal, (e) => this.#emit(e));
  }

  /** Call `fn` for every event of this kind from now on. */
  on<K extends RunEvent['kind']>(kind: K, fn: (e: Extract<RunEvent, { kind: K }>) => void): this {
    this.#listeners.add((e) => e.kind === kind && fn(e as Extract<RunEvent, { kind: K }>));
    return this;
  }

  /** Every event of the run, from the first, ending with `finished`. */
  async *events(): AsyncGenerator<RunEvent> {
    for (let i = 0; ; i++) {
      while (i >= this.#events.length) await new Promise<void>((r) => this.#waiting.push(r));
      const e = this.#events[i]!;
      yield e;
      if (e.kind === 'finished') return;
    }
  }

  #emit(e: RunEvent): void {
    this.#events.push(e);
    for (const l of this.#listeners) l(e);
    for (const wake of this.#waiting.splice(0)) wake();
  }
}

async function drive(o: ResolvedRunOptions, signal: AbortSignal | undefined, emit: (e: RunEvent) => void): Promise<RunResult> {
  const { inject: _i, timeouts: _t, ...summary } = o;
  const vm = await createVm({
    engine: o.engine,
    maxVcpus: o.vcpus + (o.deviceWriter ? 1 : 0),
    dirtyRing: o.strategy === 'ring' || o.strategy === 'ring-with-bitmap' ? { entries: o.ringEntries, pml: o.pml } : undefined,
    pml: o.pml,
    ringWithBitmap: o.strategy === 'ring-with-bitmap',
    manualProtect: o.strategy === 'clear-log' ? { initiallySet: true } : undefined,
    slots: [{ pages: o.pages, contents: o.verify }],
    zipfRanks: o.pattern === 'zipf' ? o.hotPages : 0,
    scratchBytes: 0,
  });
  const threads = [...Array.from({ length: o.vcpus }, () => vm.createVcpu()), ...(o.deviceWriter ? [vm.createDevice()] : [])];
  const { arena } = vm;
  const c = new Control(arena.memory.buffer);
  const slot = vm.slot(0);
  const regions = arena.plan.slots[0]!;
  if (o.pattern === 'zipf') arena.u32.set(zipfCdf(o.hotPages, o.zipfExponent), arena.plan.zipf >>> 2);
  threads.forEach((t, i) => {
    const share = Math.floor(o.pages / o.vcpus);
    const region = o.pattern === 'memstress' && i < o.vcpus ? { start: i * share, pages: share } : { start: 0, pages: o.pages };
    configureWorkload(arena.u32, t.ctl, slot.desc, region, o, { table: arena.plan.zipf, ranks: o.pattern === 'zipf' ? o.hotPages : 0 }, i, threads.length);
  });
  const mirror = o.verify ? new SharedArrayBuffer(o.pages * ABI.PAGE_SIZE) : undefined;
  const handle: ArenaHandle = { memory: arena.memory, module: vm.module, engine: o.engine, plan: arena.plan };
  const slots: SlotInfo[] = [{
    id: 0, desc: slot.desc, pages: o.pages, snapshot: regions.snapshot, clearArg: regions.clearArg, collected: regions.collected,
    contents: regions.contents, bitmapBytes: regions.bitmapBytes, mirrorOffset: 0,
  }];

  // Threads start paused: zeroed memory would otherwise read as RUN_RUNNING at iteration 0.
  c.store(ABI.VM_CTL + ABI.VM_RUN_STATE, ABI.RUN_PAUSED);
  let failure: ThreadFailure | undefined;
  const failed = new AbortController();
  const fail = (f: ThreadFailure) => {
    if (failure) return;
    failure = f;
    c.setRunState(ABI.RUN_ABORTED);
    failed.abort(f);
  };
  const stopping = { vcpus: false, collector: false };
  const guard = <T>(p: Promise<T>, ms: number, what: string, thread: RunError['thread'] = 'host'): Promise<T> =>
    race(p, failed.signal, ms, () => new ThreadFailure(`${what} did not finish within ${ms} ms`, thread));

  // The collector thread.
  let collectorTotals: CollectorTotals | undefined;
  const pendingSyncs = new Map<number, (r: { pages: readonly Uint32Array[] | null; stats: SyncStats }) => void>();
  const collectorData: CollectorWorkerData = {
    arena: handle, strategy: o.strategy, vcpus: vm.vcpus.map((v) => ({ id: v.id, ctl: v.ctl })), slots,
    reapIntervalMs: o.reapIntervalMs, clearChunkPages: o.clearChunkPages, kickTimeoutMs: o.timeouts.kickMs, mirror,
    broken: o.brokenCollector, ...(o.inject?.collectorFailsOnSync ? { failOnSync: o.inject.collectorFailsOnSync } : {}),
    ...(o.inject?.pauseBeforeFirstReset ? { pauseBeforeFirstReset: true } : {}),
  };
  const collector = spawnWorker('vmm/collector-worker', collectorData, 'dirtylog collector');
  const collectorReady = new Promise<void>((resolve) => {
    collector.on('message', (m: CollectorReply) => {
      if (m.kind === 'ready') resolve();
      else if (m.kind === 'synced') pendingSyncs.get(m.id)?.(m);
      else collectorTotals = m.totals;
    });
  });
  collector.on('error', (e: Error) => fail(new ThreadFailure(`collector: ${e.message}`, 'collector')));
  const collectorExit = new Promise<void>((resolve) => collector.on('exit', (code) => {
    if (!stopping.collector) fail(new ThreadFailure(`collector thread exited unexpectedly (code ${code})`, 'collector'));
    resolve();
  }));

  // The vCPU threads (and the device writer).
  const workers: Worker[] = [];
  const exits: Promise<void>[] = [];
  const ready: Promise<void>[] = [];
  for (const [i, t] of threads.entries()) {
    const device = i >= o.vcpus;
    const label = device ? `device writer ${t.id}` : `vCPU ${t.id}`;
    const data: VcpuWorkerData = {
      arena: handle, vcpu: t.id, device, ctl: t.ctl, sliceWrites: o.sliceWrites, writeRate: o.writeRate,
      fullWaitTimeoutMs: o.timeouts.fullWaitMs, pauseTimeoutMs: o.timeouts.pauseMs,
      ...(o.inject?.vcpuFailsAfterSlices?.vcpu === t.id
        ? { failAfterSlices: o.inject.vcpuFailsAfterSlices.slices, failHow: o.inject.vcpuFailsAfterSlices.how ?? 'throw' }
        : {}),
    };
    const w = spawnWorker('vcpu/vcpu-worker', data, `dirtylog ${label}`);
    workers.push(w);
    ready.push(new Promise((resolve) => w.on('message', (m: VcpuMessage) => m.kind === 'ready' && resolve())));
    w.on('error', (e: Error) => fail(new ThreadFailure(`${label}: ${e.message.startsWith(label) ? e.message.slice(label.length + 2) : e.message}`, device ? 'device' : 'vcpu', t.id)));
    exits.push(new Promise((resolve) => w.on('exit', (code) => {
      // A thread ended by process.exit or terminate() never ran its own clean-up: mark it
      // gone here, so no kick or pause waits for an acknowledgement that cannot come.
      c.markExited(t.ctl);
      if (!stopping.vcpus || code !== 0) fail(new ThreadFailure(`${label} thread exited unexpectedly (code ${code})`, device ? 'device' : 'vcpu', t.id));
      resolve();
    })));
  }

  let syncId = 0;
  const sync = (final: boolean) => {
    const id = ++syncId;
    const reply = new Promise<{ pages: readonly Uint32Array[] | null; stats: SyncStats }>((resolve) => pendingSyncs.set(id, resolve));
    collector.postMessage({ kind: 'sync', id, final, wantPages: o.verify } satisfies CollectorCommand);
    return guard(reply, o.timeouts.kickMs + o.timeouts.fullWaitMs, `collector sync ${id}`, 'collector').finally(() => pendingSyncs.delete(id));
  };
  const readThreads = (): ThreadStats[] => threads.map((t, i) => ({
    vcpu: t.id,
    device: i >= o.vcpus,
    writes: c.load64(t.ctl + ABI.VCPU_WRITES),
    fullExits: c.vcpu(t.ctl, ABI.VCPU_FULL_EXITS),
    stallMs: c.load64(t.ctl + ABI.VCPU_STALL_US) / 1000,
    pmlDrains: c.vcpu(t.ctl, ABI.VCPU_PML_DRAINS),
    passes: c.vcpu(t.ctl, ABI.VCPU_W_PASSES),
  }));
  const sum = (xs: ThreadStats[], k: 'writes' | 'fullExits' | 'stallMs') => xs.reduce((a, x) => a + x[k], 0);

  const iterations: IterationReport[] = [];
  const violations: Violation[] = [];
  let violationCount = 0;
  let mirrorDiffers: number[] = [];
  let aborted = false;
  let started = performance.now();
  const rand = prng(o.seed ^ 0x51ed);
  emit({ kind: 'started', options: summary });
  try {
    await guard(Promise.all([collectorReady, ...ready]), o.timeouts.startMs, 'starting the threads');
    started = performance.now(); // the run's seconds count from here, not from thread start-up
    for (let it = 1; it <= o.iterations; it++) {
      if (signal?.aborted) { aborted = true; break; }
      const t0 = performance.now();
      const before = readThreads();
      c.store(ABI.VM_CTL + ABI.VM_ITERATION, it);
      c.setRunState(ABI.RUN_RUNNING);
      // Collect once at a random point while the vCPUs run, as dirty_log_test does.
      await guard(sleep(o.intervalMs * (0.3 + 0.4 * rand()), signal), o.intervalMs * 2 + 1000, 'iteration timer');
      const s1 = await sync(false);
      const rest = o.intervalMs - (performance.now() - t0);
      if (rest > 0) await guard(sleep(rest, signal), rest + 1000, 'iteration timer');
      await guard(enoughWrites(() => sum(readThreads(), 'writes') - sum(before, 'writes'), o.minWrites, signal), o.timeouts.fullWaitMs, `reaching ${o.minWrites} writes in iteration ${it}`);
      await pauseAll(c, threads.map((t) => t.ctl), (p, ms, what) => guard(p, ms, what), o.timeouts.pauseMs);
      const runningMs = performance.now() - t0;
      const s2 = await sync(true);
      const after = readThreads();
      const first = s1.pages?.[0] ?? new Uint32Array();
      const second = s2.pages?.[0] ?? new Uint32Array();
      let dirty: number;
      let bad = 0;
      if (o.verify) {
        const stamps = new Uint32Array(arena.memory.buffer, regions.contents, (o.pages * ABI.PAGE_SIZE) / 4);
        const check = checkIteration({ iteration: it, strategy: o.strategy, pages: o.pages, stampOf: (p) => stamps[p * (ABI.PAGE_SIZE / 4)]!, first, second }); // low half: the iteration
        dirty = check.dirty;
        bad = check.violations.length;
        violationCount += bad;
        violations.push(...check.violations.slice(0, Math.max(0, 50 - violations.length)));
        // With the vCPUs stopped and everything collected, the mirror must equal the guest.
        mirrorDiffers = mirrorDifferences(new Uint8Array(mirror!), arena.u8.subarray(regions.contents, regions.contents + o.pages * ABI.PAGE_SIZE), ABI.PAGE_SIZE);
      } else {
        dirty = s1.stats.pages + s2.stats.pages;
      }
      const report: IterationReport = {
        iteration: it,
        dirty,
        clean: o.pages - dirty,
        writes: sum(after, 'writes') - sum(before, 'writes'),
        fullExits: sum(after, 'fullExits') - sum(before, 'fullExits'),
        stallMs: sum(after, 'stallMs') - sum(before, 'stallMs'),
        entriesHarvested: s1.stats.entriesHarvested + s2.stats.entriesHarvested,
        entriesReset: s1.stats.entriesReset + s2.stats.entriesReset,
        syncMs: [s1.stats.busyMs, s2.stats.busyMs],
        violations: bad,
        runningMs,
        elapsedMs: performance.now() - t0,
      };
      iterations.push(report);
      emit({ kind: 'iteration', report });
      if (performance.now() - started >= o.seconds * 1000) break;
      if (signal?.aborted) { aborted = true; break; }
    }
  } catch (err) {
    if (err instanceof ThreadFailure) fail(err);
    else if (signal?.aborted && !failure) aborted = true;
    else fail(new ThreadFailure(err instanceof Error ? err.message : String(err), 'host'));
  } finally {
    // Stop: vCPUs drain PML and finish refused writes while the collector still serves them.
    stopping.vcpus = true;
    if (!failure) {
      c.setRunState(ABI.RUN_STOPPED);
    }
    const vcpusGone = await settleWithin(Promise.all(exits), o.timeouts.stopMs);
    if (!vcpusGone) {
      fail(new ThreadFailure(`vCPU threads did not stop within ${o.timeouts.stopMs} ms; terminated`, 'host'));
      await Promise.all(workers.map((w) => w.terminate()));
    }
    stopping.collector = true;
    collector.postMessage({ kind: 'stop' } satisfies CollectorCommand);
    c.ring(ABI.VM_CTL + ABI.VM_COLLECTOR_BELL);
    if (!(await settleWithin(collectorExit, o.timeouts.stopMs))) await collector.terminate();
  }
  const finalThreads = readThreads();
  const elapsedMs = performance.now() - started;
  const writes = sum(finalThreads, 'writes');
  const fullExits = sum(finalThreads, 'fullExits');
  const stallMs = sum(finalThreads, 'stallMs');
  const runningMs = iterations.reduce((a, r) => a + r.runningMs, 0) || elapsedMs;
  const entriesHarvested = collectorTotals?.entriesHarvested ?? iterations.reduce((a, r) => a + r.entriesHarvested, 0);
  const result: RunResult = {
    kind: failure ? 'failed' : aborted ? 'aborted' : 'completed',
    options: summary,
    iterations,
    totals: {
      iterations: iterations.length,
      writes,
      dirtyPages: iterations.reduce((a, r) => a + r.dirty, 0),
      fullExits,
      stallMs,
      stallPerExitMs: fullExits ? stallMs / fullExits : 0,
      entriesHarvested,
      entriesReset: collectorTotals?.entriesReset ?? iterations.reduce((a, r) => a + r.entriesReset, 0),
      collectorBusyMs: collectorTotals?.busyMs ?? 0,
      elapsedMs,
      runningMs,
      writesPerSecond: writes / (runningMs / 1000),
      entriesPerSecond: entriesHarvested / (runningMs / 1000),
    },
    threads: finalThreads,
    collector: collectorTotals,
    verification: o.verify && iterations.length
      ? violationCount === 0 && mirrorDiffers.length === 0
        ? { kind: 'passed', iterations: iterations.length, pagesChecked: iterations.length * o.pages }
        : { kind: 'failed', violationCount, violations, mirrorDiffers: mirrorDiffers.slice(0, 50) }
      : undefined,
    error: failure ? { message: failure.message, thread: failure.thread, ...(failure.vcpu !== undefined ? { vcpu: failure.vcpu } : {}) } : undefined,
  };
  emit({ kind: 'finished', result });
  return result;
}
