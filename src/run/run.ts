/**
 * A run: vCPU threads write guest memory through the engine's fault path while the
 * collector thread plays the VMM, round after round as dirty_log_test does. This module
 * builds the VM for the run's tracking mode, starts the threads (threads.ts), runs the
 * rounds (round.ts) and assembles the result (totals.ts); a run's events and result are
 * what the CLI shows. A failing thread ends the run with an error that names it and a result
 * that keeps what was collected so far.
 */
import { loadLibc } from '../backend/kvm/libc.ts';
import { GuestRun } from '../backend/kvm/guest-run.ts';
import { createVm, type Vm } from '../kvm/vm.ts';
import { prng } from '../prng.ts';
import type { TrackingMode } from '../tracking/index.ts';
import { workloadState } from '../vcpu/workload.ts';
import { ABI } from '../layout.ts';
import { EventStream } from './event-stream.ts';
import { guestVm } from './guest.ts';
import { resolveRunOptions, type ResolvedRunOptions, type RunOptions } from './options.ts';
import type { IterationReport, RunError, RunEvent, RunResult } from './result.ts';
import { DirtyRateMeter } from './dirty-rate.ts';
import { runRound } from './round.ts';
import { RunThreads, ThreadFailure } from './threads.ts';
import { runResult, VerificationTally } from './totals.ts';
import type { KvmRunHandle } from '../threads/protocol.ts';

export type { CollectorTotals, IterationReport, RunError, RunEvent, RunResult, RunTotals, ThreadStats, VcpuIterationReport, Verification } from './result.ts';

/** Start a run. Options are checked before anything starts; a bad one throws here. */
export function startRun(options: RunOptions): Run {
  const { options: o, mode, signal } = resolveRunOptions(options);
  return new Run(o, mode, signal);
}

export class Run extends EventStream<RunEvent> {
  readonly result: Promise<RunResult>;

  /** @internal use {@link startRun}. */
  constructor(o: ResolvedRunOptions, mode: TrackingMode, signal: AbortSignal | undefined) {
    super();
    this.result = drive(o, mode, signal, (e) => this.emit(e));
  }
}

async function drive(o: ResolvedRunOptions, mode: TrackingMode, signal: AbortSignal | undefined, emit: (e: RunEvent) => void): Promise<RunResult> {
  const { inject: _i, timeouts: _t, ...summary } = o;
  await Promise.resolve(); // 'started' reaches the listeners attached right after startRun returned
  emit({ kind: 'started', options: summary });
  const started = performance.now();
  let threads: RunThreads | undefined;
  let kvm: KvmGuest | undefined;
  const iterations: IterationReport[] = [];
  const tally = new VerificationTally();
  let aborted = false;
  let setupError: RunError | undefined;
  try {
    const vm = await guestVm(o, mode);
    const arena = vm.arena;
    kvm = o.backend === 'kvm' ? await kvmGuest(o, mode, vm) : undefined;
    const mirror = o.verify ? new SharedArrayBuffer(o.pages * ABI.PAGE_SIZE) : undefined;
    threads = new RunThreads({
      arena, mode, options: o, vcpus: vm.vcpus.map((v) => v.id), devices: vm.devices.map((d) => d.id), slots: [0], mirror,
      ...(kvm ? { kvm: { handle: kvm.handle, stops: kvm.guest } } : {}),
    });
    const ended = new AbortController(); // the waits of a finished run end with it
    const r0 = arena.plan.slots[0]!;
    const memory = kvm ? kvm.guest.contents() : arena.u8.subarray(r0.contents, r0.contents + o.pages * ABI.PAGE_SIZE);
    const meter = o.dirtyRate ? new DirtyRateMeter({
      arena, slot: 0, pages: o.pages, vcpus: vm.vcpus.map((v) => v.id), rings: mode.usesRing, samplePages: o.samplePages, rand: prng(o.seed ^ 0xd1a7),
    }) : undefined;
    const round = { arena, threads, mode, options: o, slot: 0, memory, mirror: mirror && new Uint8Array(mirror), rand: prng(o.seed ^ 0x51ed), signals: [signal, ended.signal], meter };
    try {
      await threads.ready(signal);
      // QEMU's dirty-bitmap mode starts with a sync it discards: with INITIALLY_SET it reports every page.
      if (meter) await threads.sync(true, signal, ended.signal);
      const t0 = performance.now(); // the run's seconds count from here, not from thread start-up
      for (let it = 1; it <= o.iterations && !signal?.aborted; it++) {
        const r = await runRound(round, it);
        iterations.push(r.report);
        tally.add(r.violations, r.violationCount, r.mirrorDiffers);
        emit({ kind: 'iteration', report: r.report });
        if (performance.now() - t0 >= o.seconds * 1000) break;
      }
    } catch (err) {
      if (err instanceof ThreadFailure) threads.fail(err);
      else if (!threads.failure && !signal?.aborted) threads.fail(new ThreadFailure(err instanceof Error ? err.message : String(err), { thread: 'host' }));
    } finally {
      ended.abort();
      await threads.stop();
    }
    aborted = signal?.aborted === true && !threads.failure;
  } catch (err) {
    setupError = { message: `setting up the run: ${err instanceof Error ? err.message : String(err)}`, thread: 'host' };
  } finally {
    // Every thread has stopped: nothing reads the VM's memory any more. A vCPU thread that
    // could not be ended might still read it, so its VM is left open rather than unmapped.
    if (!threads || threads.vcpuThreadsLeft === 0) kvm?.vm.close();
  }
  const failure = threads?.failure;
  const error: RunError | undefined = setupError ?? (failure && {
    message: failure.message, thread: failure.blamed.thread, ...('vcpu' in failure.blamed ? { vcpu: failure.blamed.vcpu } : {}),
  });
  const stats = threads?.readThreads() ?? [];
  const result = runResult({
    options: summary, iterations, threads: stats, stallHistogram: threads?.stallHistogram(stats.map((t) => t.vcpu)) ?? [],
    collector: threads?.collectorTotals() ?? { reaps: 0, syncs: 0, entriesHarvested: 0, entriesReset: 0, entriesSkipped: 0, busyMs: 0, harvestMs: 0, resetMs: 0, looks: 0 },
    verification: tally.result(o.verify, o.pages), elapsedMs: performance.now() - started, aborted, error,
  });
  emit({ kind: 'finished', result });
  return result;
}

/**
 * A kvm run's real VM: the mode's capabilities, one slot, one vCPU per model vCPU, each guest
 * starting from its model twin's workload state (the same pages in the same order).
 */
interface KvmGuest {
  readonly vm: Vm;
  readonly guest: GuestRun;
  readonly handle: KvmRunHandle;
}

async function kvmGuest(o: ResolvedRunOptions, mode: TrackingMode, model: Vm): Promise<KvmGuest> {
  const vm = await createVm({ backend: 'kvm', ...mode.vmOptions({ ringEntries: o.ringEntries, pml: false }), slots: [{ pages: o.pages }], vcpus: o.vcpus });
  try {
    const handle: KvmRunHandle = {
      vm: vm.kvm.handle(),
      guest: { vcpus: o.vcpus, slot: 0, truthPages: o.verify ? o.pages : 0, zipfRanks: o.pattern === 'zipf' ? o.hotPages : 0 },
    };
    const guest = new GuestRun(await loadLibc(), handle.vm, handle.guest);
    const { arena } = model;
    if (handle.guest.zipfRanks) guest.writeZipf(arena.u32.subarray(arena.plan.zipf >>> 2, (arena.plan.zipf >>> 2) + handle.guest.zipfRanks));
    for (const v of model.vcpus) guest.configure(v.id, workloadState(arena.vcpus[v.id]!), o.inject?.guestBatchWrites);
    return { vm, guest, handle };
  } catch (err) {
    vm.close();
    throw err;
  }
}

