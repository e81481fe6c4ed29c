/**
 * One round of a run, as dirty_log_test's iteration: publish the iteration number, let the
 * vCPUs run, collect once at a random point while they run, make sure enough writes happened,
 * pause them, collect again, and check. Returns the round's report and what the checks found.
 */
import type { Arena } from '../kvm/arena.ts';
import { ABI } from '../layout.ts';
import type { SyncReply } from '../threads/protocol.ts';
import type { TrackingMode } from '../tracking/index.ts';
import type { ResolvedRunOptions } from './options.ts';
import type { IterationReport, VcpuIterationReport } from './result.ts';
import { ThreadFailure, type RunThreads, type VcpuCounters } from './threads.ts';
import { checkIteration, mirrorDifferences, type Violation } from './verify.ts';
import { sleep, until, within } from './waits.ts';

export interface RoundContext {
  readonly arena: Arena;
  readonly threads: RunThreads;
  readonly mode: TrackingMode;
  readonly options: ResolvedRunOptions;
  /** The guest slot the workload writes. */
  readonly slot: number;
  /** Host copy of guest memory (verify). */
  readonly mirror: Uint8Array | undefined;
  /** Where in the iteration the running collection happens: a draw in [0, 1). */
  readonly rand: () => number;
  /** Signals that end every wait: the user's and the run's end. */
  readonly signals: readonly (AbortSignal | undefined)[];
}

export interface RoundOutcome {
  readonly report: IterationReport;
  /** Verify: every rule broken this round (missed syncs and end-of-round checks). */
  readonly violations: readonly Violation[];
  readonly violationCount: number;
  readonly mirrorDiffers: readonly number[];
}

export async function runRound(x: RoundContext, iteration: number): Promise<RoundOutcome> {
  const o = x.options;
  const { threads, signals } = x;
  const t0 = performance.now();
  const before = threads.counters();
  const vcpusBefore = threads.vcpuCounters();
  const collectorBefore = threads.collectorCounters();
  threads.resume(iteration);
  // Collect once at a random point while the vCPUs run, as dirty_log_test does.
  await sleep(o.intervalMs * (0.3 + 0.4 * x.rand()), threads.failed, ...signals);
  const running = await threads.sync(false, ...signals);
  const rest = o.intervalMs - (performance.now() - t0);
  if (rest > 0) await sleep(rest, threads.failed, ...signals);
  await enoughWrites(x, before, iteration);
  await threads.pause(...signals);
  const runningMs = performance.now() - t0;
  const stopped = await threads.sync(true, ...signals);
  const after = threads.counters();
  const collectorAfter = threads.collectorCounters();
  const checks = o.verify ? check(x, iteration, running, stopped) : { violations: [], violationCount: 0, mirrorDiffers: [] };
  const report: IterationReport = {
    iteration,
    dirty: stopped.roundPages,
    clean: o.pages - stopped.roundPages,
    writes: after.writes - before.writes,
    fullExits: after.fullExits - before.fullExits,
    stallMs: after.stallMs - before.stallMs,
    entriesHarvested: running.entriesHarvested + stopped.entriesHarvested,
    entriesReset: running.entriesReset + stopped.entriesReset,
    syncMs: [running.busyMs, stopped.busyMs],
    violations: checks.violationCount,
    runningMs,
    elapsedMs: performance.now() - t0,
    vcpus: vcpuReports(vcpusBefore, threads.vcpuCounters(), runningMs, x.mode.usesRing),
    collectorReaps: collectorAfter.reaps - collectorBefore.reaps,
    collectorBusyMs: (collectorAfter.busyUs - collectorBefore.busyUs) / 1000,
  };
  return { report, ...checks };
}

/** Each vCPU's share of the round, from its counters before and after. */
function vcpuReports(before: readonly VcpuCounters[], after: readonly VcpuCounters[], runningMs: number, rings: boolean): VcpuIterationReport[] {
  return after.map((a, i) => {
    const b = before[i]!;
    const dirtyPages = rings ? a.pushes - b.pushes : null;
    return {
      vcpu: a.vcpu,
      writes: a.writes - b.writes,
      dirtyPages,
      dirtyRate: dirtyPages === null ? null : runningMs > 0 ? dirtyPages / (runningMs / 1000) : 0,
      throttleMs: (a.throttleUs - b.throttleUs) / 1000,
      throttleUsPerFull: a.throttleUsPerFull,
    };
  });
}

/** dirty_log_test's minimum of writes per iteration; bounded, and named if the guest cannot reach it. */
async function enoughWrites(x: RoundContext, before: { readonly writes: number }, iteration: number): Promise<void> {
  const { threads, options: o } = x;
  const written = () => threads.counters().writes - before.writes;
  const ms = o.timeouts.fullWaitMs;
  await within(until(() => written() >= o.minWrites, 1, threads.failed, ...x.signals), ms, () => new ThreadFailure(
    `the vCPUs made ${written()} of the ${o.minWrites} writes iteration ${iteration} needs within ${ms} ms: lower minWrites or raise timeouts.fullWaitMs`,
    { thread: 'host' },
  ), threads.failed, ...x.signals);
}

/** The round's checks, vCPUs stopped and everything collected. */
function check(x: RoundContext, iteration: number, running: SyncReply, stopped: SyncReply): Omit<RoundOutcome, 'report'> {
  const { arena, options: o } = x;
  const r = arena.plan.slots[x.slot]!;
  const stamps = new Uint32Array(arena.memory.buffer, r.contents, (o.pages * ABI.PAGE_SIZE) / 4);
  const missed = [...running.missed, ...stopped.missed].map((m): Violation => ({ ...m, iteration }));
  const ends = checkIteration({
    iteration, initiallySet: x.mode.verify.initiallySet, pages: o.pages,
    stampOf: (p) => stamps[p * (ABI.PAGE_SIZE / 4)]!, // the low half: the iteration
    first: running.sets![0]!, second: stopped.sets![0]!,
  });
  // With the vCPUs stopped and everything collected, the mirror must equal the guest.
  const mirrorDiffers = mirrorDifferences(x.mirror!, arena.u8.subarray(r.contents, r.contents + o.pages * ABI.PAGE_SIZE), ABI.PAGE_SIZE);
  return { violations: [...missed, ...ends], violationCount: running.missedCount + stopped.missedCount + ends.length, mirrorDiffers };
}

