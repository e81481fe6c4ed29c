/**
 * The collector thread: the VMM's side, as QEMU's kvm-reaper and migration bitmap sync.
 *
 * It never returns to its event loop: it takes the host's commands with receiveMessageOnPort
 * and sleeps in Atomics.wait on its doorbell, which vCPUs ring on full exits and the host
 * rings after each command. A full ring is then answered in microseconds, not after a trip
 * through the event loop.
 *
 * It reaps every ring when a vCPU rings the full-exit doorbell and at least every
 * reapIntervalMs (modes with rings), and answers `sync` commands: kick every vCPU (waiting
 * for the acknowledgements where the mode needs them, reaping meanwhile so a vCPU that needs
 * room can answer), collect with the mode, read what was collected into the host mirror after
 * the re-arm, check the sync against the guest's record of completed writes (verify), and
 * move the sync's pages into the round's. Dirty sets stay bitmaps in the arena throughout.
 * Errors reach the host as the worker's 'error' event; a timeout on another thread is sent as
 * a `blame` naming it. Every wait is bounded.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { joinArena } from '../kvm/arena.ts';
import { dirtyRingSoftFull, pollBatch } from '../kvm/dirty-ring.ts';
import type { CollectorCommand, CollectorReply, CollectorWorkerData, Missed, SyncReply } from '../threads/protocol.ts';
import { breakMode, collectContext, trackingMode, type CollectContext, type CollectStats } from '../tracking/index.ts';
import { collectorSide } from './collector-side.ts';
import { DirtyLimiter } from './dirty-limit.ts';
import { GroundTruth } from './ground-truth.ts';
import { injectCollector } from './inject.ts';
import { Blame } from '../threads/blame.ts';

const data = workerData as CollectorWorkerData;
const arena = joinArena(data.arena);
const { engine, vm } = arena;
const base = trackingMode(data.mode);
const ringVcpus = base.usesRing ? data.vcpus : [];
const times = { harvestMs: 0, resetMs: 0 };
/**
 * Entries per ring the first chunk of a reap harvests and resets before it rings the vCPUs on
 * (model). A vCPU in a full exit needs one entry of room, not a whole ring: reaped whole, a
 * 65536-entry ring kept it waiting a millisecond and a half; a chunk's reset takes about 10 µs.
 */
const REAP_CHUNK = 512;
// The model's arena, or a kvm run's real VM beside it: what is collected, kicked and verified.
const side = await collectorSide(arena, data, ringVcpus, times);
const { ctx, control: c } = side;
const mode = injectCollector(data.broken ? breakMode(base, data.broken, data.kvm ? 'kvm' : 'model') : base, data.inject, {
  control: c, vcpus: data.vcpus, kickTimeoutMs: data.kickTimeoutMs,
});
const truth = data.verify ? new GroundTruth(arena, data.slots, base.verify, side.guestTruth) : undefined;
/**
 * QEMU's dirty limit (the model only; a kvm run refuses it): each period ends with a global
 * sync and a new hold per vCPU; the periodic reaper pauses so rings fill, and a full exit
 * reaps only the full vCPU's ring.
 */
const limiter = data.dirtyLimit && base.usesRing ? new DirtyLimiter(arena, ringVcpus, data.dirtyLimit) : undefined;
const ownRing = new Map<number, CollectContext>(limiter ? ringVcpus.map((v) => [v, collectContext(arena, {
  vcpus: [v], slots: data.slots, clearChunkPages: data.clearChunkPages, times, resetCostNs: data.resetCostNs, ...(data.mirror ? { mirror: new Uint8Array(data.mirror) } : {}),
})]) : []);
const ringEntries = ringVcpus.length ? arena.vcpus[ringVcpus[0]!]!.entries : 0;
const batch = pollBatch(ringEntries);
/** Reaps free room in chunks (model rings larger than a chunk; the kernel's are reaped whole, as QEMU does). */
const CHUNKS = !data.kvm && REAP_CHUNK < ringEntries;
/** Spins of the poll loop between two looks at the rings. */
const POLL_SPINS = 64;
/** The poller's looks at the rings, published with the other counters. */
let looks = 0;
/** Losses found by reaps since the last sync, reported with it. */
const lost = { count: 0, missed: [] as Missed[] };
const post = (m: CollectorReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);


truth?.record();
post({ kind: 'ready' });
try {
  serve();
} catch (err) {
  if (!(err instanceof Blame)) throw err;
  post({ kind: 'blame', blamed: err.blamed, message: err.message });
} finally {
  side.close();
}
parentPort!.close();

function serve(): void {
  const bellWord = c.vmWord('collectorBell');
  const poll = mode.reap !== undefined && data.reapIntervalMs === 0 && !limiter;
  let reapedAt = vm.collectorBell;
  let lastReap = performance.now();
  for (;;) {
    // Read the bell before taking commands: a command posted after this rings it again.
    const bell = vm.collectorBell;
    let synced = false;
    for (let m = receiveMessageOnPort(parentPort!); m; m = receiveMessageOnPort(parentPort!)) {
      const cmd = m.message as CollectorCommand;
      if (cmd.kind === 'stop') {
        post({ kind: 'stopped' });
        return;
      }
      // The sync collects every ring, so the bell the host rang with it (and any vCPU's before
      // it) is answered: without this the next loop reaped again and re-armed pages inside the
      // period that follows, which a dirty-rate measurement then counts twice.
      const answered = vm.collectorBell;
      sync(cmd.id, cmd.final, cmd.set === true);
      reapedAt = answered;
      lastReap = performance.now();
      synced = true;
    }
    if (synced) continue; // read the bell again: only a ring after the sync's asks for a reap
    if (limiter && limiter.msUntilDue(performance.now()) === 0) {
      limitPeriod();
      continue;
    }
    // Poll mode reaps a whole batch at a time: reaping whatever is there each time round would
    // chase the producer entry by entry, and every entry line would bounce between the cores.
    // QEMU's reaper pauses under the dirty limit (poll mode is off then too).
    const due = poll ? batchPending() : !limiter && performance.now() - lastReap >= data.reapIntervalMs;
    if (mode.reap && (bell !== reapedAt || due)) {
      // Chunks only when a vCPU rang: one may be waiting for room. A batch found by the poller
      // (or the period) has nobody waiting, and one call reaps it cheapest.
      const rang = bell !== reapedAt;
      reapedAt = bell; // a vCPU that rings after this gets another reap
      if (limiter && !limiter.started) limiter.start(performance.now());
      if (limiter) reapFullRings();
      else reap(ctx, rang);
      lastReap = performance.now();
      continue;
    }
    if (poll) pollUntilWork(bell);
    else Atomics.wait(arena.i32, bellWord, bell | 0, Math.max(1, Math.min(50, nextTimerMs(lastReap))));
  }
}

/**
 * Poll mode (reapIntervalMs 0, the transfer benchmark): wait, spinning, until a batch is
 * pending, a vCPU is full, or a command came. It looks only every few spins, and only at the
 * flags of each batch's last entry: reading entries as they land, or the producer's index,
 * would drag the producer's cache lines back and forth between the two cores on every push.
 * With shared indices there is nothing else to look at: each look reads avail_index.
 */
function pollUntilWork(bell: number): void {
  for (let spins = 1; vm.collectorBell === bell; spins++) {
    if (spins % POLL_SPINS === 0 && batchPending()) return;
    if (spins === 1 << 20) return void Atomics.wait(arena.i32, c.vmWord('collectorBell'), bell | 0, 1); // idle: let the core go
  }
}

/** Until the reaper's period or the dirty limit's period ends, whichever is first. */
function nextTimerMs(lastReap: number): number {
  const now = performance.now();
  if (limiter) return Math.min(50, limiter.msUntilDue(now));
  return mode.reap ? data.reapIntervalMs - (now - lastReap) : 50;
}

/**
 * QEMU's reaper: collect every ring (or `on`'s), then let the vCPUs waiting for room go on.
 * On the model it frees room a chunk at a time, ringing the vCPUs on after each reset: 512
 * entries per ring first, then twice as many each time, so a full vCPU goes on after the first
 * chunk and, writing on, does not catch up with the reaper (each chunk takes less time to reset
 * than the vCPU takes to fill what the chunks before it freed), while a whole backlog still
 * costs only a handful of calls. It goes on while some ring holds a first chunk's worth: the
 * rest waits for the next batch, since chasing a producer that writes on would take its
 * entries a few at a time, and each of their cache lines would cross between the cores twice.
 * The kernel's rings (kvm backend) are reaped whole, as QEMU does.
 */
function reap(on: CollectContext, chunked: boolean): void {
  let max = chunked && CHUNKS ? REAP_CHUNK : undefined;
  let reset = 0;
  for (;;) {
    const stats = busy(() => mode.reap!(on, max));
    count(stats);
    reset += stats.reset;
    if (stats.reset) resume(on.vcpus);
    if (max === undefined || !on.vcpus.some((v) => side.batchReady(v, REAP_CHUNK))) break;
    max = Math.min(max * 2, ringEntries);
  }
  vm.collectorReaps++;
  if (truth && reset) lost.count += truth.checkRearmed(lost.missed);
}

/** After a reset: let the vCPUs waiting for room go on. */
function resume(vcpus: readonly number[]): void {
  for (const v of vcpus) c.ring(c.vcpuWord(v, 'resumeBell'));
}

/** Under the dirty limit, a full exit reaps only the full vCPU's ring (QEMU: kvm_dirty_ring_reap(s, cpu)). */
function reapFullRings(): void {
  const full = ringVcpus.filter((v) => dirtyRingSoftFull(arena, v));
  if (full.length === 0) return reap(ctx, false); // a bell with no full ring: reap them all, nobody waits in vain
  for (const v of full) reap(ownRing.get(v)!, false);
}

/** The end of a dirty-limit period: a global sync (kick, reap every ring), then new holds. */
function limitPeriod(): void {
  kickAll(mode.syncWaitsForKick);
  reap(ctx, false); // whole rings: the period's count must hold everything logged before the kick
  limiter!.adjust(performance.now());
}

function sync(id: number, final: boolean, wantSet: boolean): void {
  vm.collectorSyncs++;
  const t0 = performance.now();
  const before = { harvested: vm.collectorHarvested, reset: vm.collectorReset };
  truth?.beforeSync(final);
  kickAll(mode.syncWaitsForKick || truth !== undefined);
  const stats = busy(() => mode.collect(ctx, final));
  count(stats);
  if (stats.reset) resume(ringVcpus);
  const reply = busy(() => settle(id, final, wantSet || truth !== undefined));
  truth?.record();
  const done: SyncReply = {
    ...reply,
    entriesHarvested: vm.collectorHarvested - before.harvested,
    entriesReset: vm.collectorReset - before.reset,
    busyMs: performance.now() - t0,
  };
  post(done, done.sets ? done.sets.map((s) => s.buffer as ArrayBuffer) : []);
}

/**
 * After the mode collected, re-armed and read: check the sync against the ground truth, copy
 * the set for the host (verify), and move the pages into the round's.
 */
function settle(id: number, final: boolean, withSets: boolean): Omit<SyncReply, 'entriesHarvested' | 'entriesReset' | 'busyMs'> {
  const missed = lost.missed.splice(0);
  const missedCount = lost.count + (truth?.check(final, missed) ?? 0);
  lost.count = 0;
  let pages = 0;
  let roundPages = 0;
  const sets: Uint8Array[] = [];
  for (const s of data.slots) {
    const r = arena.plan.slots[s]!;
    const npages = arena.slots[s]!.npages;
    if (withSets) sets.push(arena.u8.slice(r.collected, r.collected + r.bitmapBytes));
    pages += engine.bitmapDrain(r.iteration, r.collected, npages);
    if (final) {
      roundPages += engine.bitmapCount(r.iteration, npages);
      engine.bitmapAndNot(r.iteration, r.iteration, npages); // empty it for the next round
    }
  }
  return { kind: 'synced', id, pages, roundPages, sets: withSets ? sets : undefined, missedCount, missed };
}

/**
 * Kick every running vCPU out of guest mode. Ring syncs (and verified syncs) wait for each
 * acknowledgement (QEMU's synchronous kick: every vCPU returns to userspace once, draining
 * PML); bitmap syncs only kick, as kvm_arch_sync_dirty_log does. While waiting, full-exit
 * doorbells are still served.
 */
function kickAll(wait: boolean): void {
  const targets = data.vcpus.map((v) => {
    c.kick(v);
    c.wake(c.vcpuWord(v, 'resumeBell')); // a vCPU asleep in a full exit answers from there
    return { v, req: arena.vcpus[v]!.kickReq };
  });
  c.wake(c.vmWord('runEpoch')); // paused vCPUs answer too
  if (!wait) return;
  const deadline = performance.now() + data.kickTimeoutMs;
  let bellAtKick = -1;
  for (const { v, req } of targets) {
    while (!c.kickAnswered(v, req)) {
      if (performance.now() > deadline) throw new Blame({ thread: 'vcpu', vcpu: v }, `vCPU ${v} did not answer a kick within ${data.kickTimeoutMs} ms`);
      // A vCPU may need room in its ring before it can drain PML and answer.
      if (mode.reap && vm.collectorBell !== bellAtKick) {
        bellAtKick = vm.collectorBell;
        reap(ctx, true); // a vCPU may need room before it can answer
      }
      c.waitSync(c.vcpuWord(v, 'kickAck'), arena.vcpus[v]!.kickAck, 5);
    }
  }
}

/** Some ring holds a batch to reap: the batch's last entry is DIRTY (flags), or avail_index says so (shared indices). */
function batchPending(): boolean {
  looks++;
  for (const v of ringVcpus) if (side.batchReady(v, batch)) return true;
  return false;
}

function count(stats: CollectStats): void {
  if (stats.harvested) vm.collectorHarvested += stats.harvested;
  if (stats.reset) vm.collectorReset += stats.reset;
  if (stats.skipped) vm.collectorSkipped += stats.skipped;
  vm.collectorHarvestUs = Math.round(times.harvestMs * 1000);
  vm.collectorResetUs = Math.round(times.resetMs * 1000);
  vm.collectorLooks = looks;
}

function busy<T>(f: () => T): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    vm.collectorBusyUs += Math.round((performance.now() - t0) * 1000);
  }
}
