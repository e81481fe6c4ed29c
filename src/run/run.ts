/**
 * A run: vCPU threads write guest memory through the engine's fault path while the
 * collector thread plays the VMM, round after round as dirty_log_test does. This module
 * builds the VM for the run's tracking mode, starts the threads (threads.ts), runs the
 * rounds (round.ts) and assembles the result (totals.ts); a run's events and result are
 * what the CLI shows. A failing thread ends the run with an error that names it and a result
 * that keeps what was collected so far.
 */
import { prng } from '../prng.ts';
import type { TrackingMode } from '../tracking/index.ts';
import { ABI } from '../layout.ts';
import { guestVm } from './guest.ts';
import { resolveRunOptions, type ResolvedRunOptions, type RunOptions } from './options.ts';
import type { IterationReport, RunError, RunEvent, RunResult } from './result.ts';
import { runRound } from './round.ts';
import { RunThreads, ThreadFailure } from './threads.ts';
import { runResult, VerificationTally } from './totals.ts';

export type { CollectorTotals, IterationReport, RunError, RunEvent, RunResult, RunTotals, ThreadStats, VcpuIterationReport, Verification } from './result.ts';

/** Start a run. Options are checked before anything starts; a bad one throws here. */
export function startRun(options: RunOptions): Run {
  const { options: o, mode, signal } = resolveRunOptions(options);
  return new Run(o, mode, signal);
}

export class Run {
  readonly result: Promise<RunResult>;
  #events: RunEvent[] = [];
  #listeners = new Set<(e: RunEvent) => void>();
  #waiting: (() => void)[] = [];

  /** @internal use {@link startRun}. */
  constructor(o: ResolvedRunOptions, mode: TrackingMode, signal: AbortSignal | undefined) {
    this.result = drive(o, mode, signal, (e) => this.#emit(e));
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

async function drive(o: ResolvedRunOptions, mode: TrackingMode, signal: AbortSignal | undefined, emit: (e: RunEvent) => void): Promise<RunResult> {
  const { inject: _i, timeouts: _t, ...summary } = o;
  await Promise.resolve(); // 'started' reaches the listeners attached right after startRun returned
  emit({ kind: 'started', options: summary });
  const started = performance.now();
  let threads: RunThreads | undefined;
  const iterations: IterationReport[] = [];
  const tally = new VerificationTally();
  let aborted = false;
  let setupError: RunError | undefined;
  try {
    const vm = await guestVm(o, mode);
    const arena = vm.arena;
    const mirror = o.verify ? new SharedArrayBuffer(o.pages * ABI.PAGE_SIZE) : undefined;
    threads = new RunThreads({
      arena, mode, options: o, vcpus: vm.vcpus.map((v) => v.id), devices: vm.devices.map((d) => d.id), slots: [0], mirror,
    });
    const ended = new AbortController(); // the waits of a finished run end with it
    const round = { arena, threads, mode, options: o, slot: 0, mirror: mirror && new Uint8Array(mirror), rand: prng(o.seed ^ 0x51ed), signals: [signal, ended.signal] };
    try {
      await threads.ready(signal);
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
  }
  const failure = threads?.failure;
  const error: RunError | undefined = setupError ?? (failure && {
    message: failure.message, thread: failure.blamed.thread, ...('vcpu' in failure.blamed ? { vcpu: failure.blamed.vcpu } : {}),
  });
  const stats = threads?.readThreads() ?? [];
  const result = runResult({
    options: summary, iterations, threads: stats, stallHistogram: threads?.stallHistogram(stats.map((t) => t.vcpu)) ?? [],
    collector: threads?.collectorTotals() ?? { reaps: 0, syncs: 0, entriesHarvested: 0, entriesReset: 0, entriesSkipped: 0, busyMs: 0, harvestMs: 0, resetMs: 0 },
    verification: tally.result(o.verify, o.pages), elapsedMs: performance.now() - started, aborted, error,
  });
  emit({ kind: 'finished', result });
  return result;
}
