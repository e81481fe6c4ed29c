/**
 * The collector thread: the VMM's side, as QEMU's kvm-reaper and migration bitmap sync.
 *
 * It reaps every ring when a vCPU rings the full-exit doorbell and at least every
 * reapIntervalMs (ring strategies), and answers `sync` commands: kick every vCPU (waiting
 * for the acknowledgements where the strategy needs them, reaping meanwhile so a vCPU that
 * needs room can answer), collect with the strategy, copy what was collected into the host
 * mirror after the re-arm, and report the pages. Errors propagate to the host as the worker's
 * 'error' event; every wait is bounded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadEngineSync } from '../engine/load.ts';
import { ABI } from '../layout.ts';
import { Control } from '../threads/control.ts';
import type { CollectorCommand, CollectorReply, CollectorWorkerData, SyncStats } from '../threads/protocol.ts';
import { collectBitmaps, copyCollected, reapRings, type CollectorContext } from './strategies.ts';

const data = workerData as CollectorWorkerData;
const engine = loadEngineSync(data.arena.engine, data.arena.memory, data.arena.module);
const c = new Control(data.arena.memory.buffer);
const ctx: CollectorContext = {
  engine,
  c,
  u8: new Uint8Array(data.arena.memory.buffer),
  data,
  mirror: data.mirror ? new Uint8Array(data.mirror) : undefined,
  totals: { reaps: 0, syncs: 0, entriesHarvested: 0, entriesReset: 0, entriesSkipped: 0, busyMs: 0 },
  harvestedSinceDrop: 0,
  pausedOnce: false,
};
const usesRing = data.strategy === 'ring' || data.strategy === 'ring-with-bitmap';
const ringEntries = data.vcpus.length ? c.vcpu(data.vcpus[0]!.ctl, ABI.VCPU_ENTRIES) : 0;
const pollBatch = Math.max(64, ringEntries / 8);
const queue: CollectorCommand[] = [];
const post = (m: CollectorReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);

parentPort!.on('message', (m: CollectorCommand) => {
  queue.push(m);
  c.ring(ABI.VM_CTL + ABI.VM_COLLECTOR_BELL); // wake the loop if it is waiting
});
post({ kind: 'ready' });
await loop();

async function loop(): Promise<void> {
  let bellSeen = c.vm(ABI.VM_COLLECTOR_BELL);
  let lastReap = performance.now();
  let lastYield = lastReap;
  for (;;) {
    const bell = c.vm(ABI.VM_COLLECTOR_BELL);
    const now = performance.now();
    const poll = usesRing && data.reapIntervalMs === 0;
    // Poll mode reaps a batch at a time: reaping each entry as it lands would drag every
    // ring cache line back and forth between the two cores.
    if (poll && bell === bellSeen && now - lastReap < 1 && pendingEntries() < pollBatch) {
      spin();
    } else if (usesRing && (bell !== bellSeen || now - lastReap >= data.reapIntervalMs)) {
      busy(() => reapRings(ctx));
      lastReap = performance.now();
    }
    bellSeen = bell;
    for (let cmd = queue.shift(); cmd; cmd = queue.shift()) {
      if (cmd.kind === 'stop') {
        post({ kind: 'stopped', totals: ctx.totals });
        parentPort!.close();
        return;
      }
      await sync(cmd.id, cmd.final, cmd.wantPages);
      lastReap = performance.now();
    }
    if (usesRing && data.reapIntervalMs === 0) {
      // Poll mode (the transfer benchmark): reap back to back, yielding to the event loop
      // only every few milliseconds so commands still arrive.
      if (performance.now() - lastYield > 5) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
      continue;
    }
    const timeout = usesRing ? Math.max(1, Math.min(50, data.reapIntervalMs - (performance.now() - lastReap))) : 50;
    await c.wait(ABI.VM_CTL + ABI.VM_COLLECTOR_BELL, bellSeen, timeout);
  }
}

/** Entries pushed and not yet harvested, over all rings (a read of each producer line). */
function pendingEntries(): number {
  let n = 0;
  for (const { ctl } of data.vcpus) n += (c.vcpu(ctl, ABI.VCPU_DIRTY_INDEX) - c.vcpu(ctl, ABI.VCPU_FETCH_INDEX)) >>> 0;
  return n;
}

/** A short busy wait that reads only the collector's own doorbell line. */
function spin(): void {
  let reads = 0;
  for (let i = 0; i < 100; i++) reads += c.vm(ABI.VM_COLLECTOR_BELL) & 1;
  void reads;
}

async function sync(id: number, final: boolean, wantPages: boolean): Promise<void> {
  ctx.totals.syncs++;
  if (ctx.totals.syncs === data.failOnSync) throw new Error(`collector: injected failure on sync ${ctx.totals.syncs}`);
  const before = { ...ctx.totals };
  const t0 = performance.now();
  await kickAll(usesRing);
  const stats: { pages: number } = { pages: 0 };
  busy(() => {
    if (usesRing) reapRings(ctx);
    // Bitmaps: every sync for the bitmap strategies; for the ring's backup bitmap only at
    // the end of a round, after the rings are drained (KVM's guidance for WITH_BITMAP).
    if (!usesRing || (data.strategy === 'ring-with-bitmap' && final)) collectBitmaps(ctx);
  });
  const pages = busy(() => copyCollected(ctx, wantPages, stats));
  const reply: SyncStats = {
    pages: stats.pages,
    entriesHarvested: ctx.totals.entriesHarvested - before.entriesHarvested,
    entriesReset: ctx.totals.entriesReset - before.entriesReset,
    busyMs: performance.now() - t0,
  };
  post({ kind: 'synced', id, pages, stats: reply }, pages ? pages.map((p) => p.buffer as ArrayBuffer) : []);
}

/**
 * Kick every running vCPU out of guest mode. Ring syncs wait for each acknowledgement (QEMU's
 * synchronous kick: every vCPU returns to userspace once, draining PML); bitmap syncs only
 * kick, as kvm_arch_sync_dirty_log does. While waiting, full-exit doorbells are still served.
 */
async function kickAll(wait: boolean): Promise<void> {
  const targets = data.vcpus.map(({ id, ctl }) => {
    c.add(ctl + ABI.VCPU_KICK_REQ, 1);
    c.wake(ctl + ABI.VCPU_RESUME_BELL); // a vCPU asleep in a full exit answers from there
    return { id, ctl, req: c.vcpu(ctl, ABI.VCPU_KICK_REQ) };
  });
  c.wake(ABI.VM_CTL + ABI.VM_RUN_EPOCH); // paused vCPUs answer too
  if (!wait) return;
  const deadline = performance.now() + data.kickTimeoutMs;
  let bellAtKick = -1;
  for (const t of targets) {
    for (;;) {
      const ack = c.vcpu(t.ctl, ABI.VCPU_KICK_ACK);
      if (((ack - t.req) | 0) >= 0 || c.vcpu(t.ctl, ABI.VCPU_THREAD_STATE) !== ABI.THREAD_RUNNING) break;
      if (c.vm(ABI.VM_RUN_STATE) === ABI.RUN_ABORTED) return; // a thread failed: the host is tearing down
      if (performance.now() > deadline) throw new Error(`collector: vCPU ${t.id} did not answer a kick within ${data.kickTimeoutMs} ms`);
      // A vCPU may need room in its ring before it can drain PML and answer.
      if (c.vm(ABI.VM_COLLECTOR_BELL) !== bellAtKick) {
        bellAtKick = c.vm(ABI.VM_COLLECTOR_BELL);
        busy(() => reapRings(ctx));
      }
      await c.wait(t.ctl + ABI.VCPU_KICK_ACK, ack, 5);
    }
  }
}

function busy<T>(f: () => T): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    ctx.totals.busyMs += performance.now() - t0;
  }
}
