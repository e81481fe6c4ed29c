/**
 * One guest size under one tracking mode, in a thread of its own: the VM (up to 16 TiB of
 * memslots, tracking only, up to 3 GiB of bitmaps) lives and dies with this thread, so its
 * memory is returned the moment the point ends, and Ctrl-C ends a long first sync at once by
 * terminating the thread.
 *
 * Per trial: a vCPU writes a fresh set of distinct pages spread over the whole guest through
 * the fault path; when its ring reaches the soft limit the VMM reaps (KVM_EXIT_DIRTY_RING_FULL,
 * as the collector does); then one sync with the mode's own collect. The time measured is the
 * VMM's: the reaps plus the sync, exactly the functions the collector thread runs. Writes are
 * not timed. Afterwards the VMM's bitmaps must hold exactly the pages written, or the trial
 * is reported as wrong.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createVm } from '../kvm/vm.ts';
import { prng } from '../prng.ts';
import { collectContext, trackingMode } from '../tracking/index.ts';
import type { SyncCostJob, SyncCostMessage } from './sync-cost.ts';

const job = workerData as SyncCostJob;
const post = (m: SyncCostMessage) => parentPort!.postMessage(m);

async function main(): Promise<void> {
  const mode = trackingMode(job.mode);
  const t0 = performance.now();
  const vm = await createVm({
    engine: job.engine,
    ...mode.vmOptions({ ringEntries: job.ringEntries, pml: false }),
    slots: job.slotPages.map((pages) => ({ pages })),
    vcpus: job.vcpus,
    scratchBytes: 0,
  });
  const { arena } = vm;
  const slots = vm.slots;
  const clearCollected = () => slots.forEach((s, i) => arena.engine.bitmapFill(arena.plan.slots[i]!.collected, s.pages, false));
  // Touch the VMM's bitmaps once now: a first touch costs a page fault per 4 KiB, which a VMM pays once, not per sync.
  clearCollected();
  const ctx = collectContext(arena, { vcpus: vm.vcpus.map((v) => v.id), slots: slots.map((_, i) => i) });
  const setupMs = performance.now() - t0;
  // The first sync after logging starts: with INITIALLY_SET it reports (and CLEARs) every page.
  const t1 = performance.now();
  mode.collect(ctx, true);
  post({ kind: 'setup', setupMs, firstSyncMs: performance.now() - t1 });

  const starts = slots.map((_, i) => slots.slice(0, i).reduce((a, s) => a + s.pages, 0));
  const total = slots.reduce((a, s) => a + s.pages, 0);
  // One untimed trial first: the engine's and the collector's code reach their optimised tier on it, as a benchmark's warm-up does.
  const trials = [{ r: 0, t: -1 }, ...job.regimes.flatMap((_, r) => Array.from({ length: job.trials }, (_, t) => ({ r, t })))];
  for (const { r, t } of trials) {
    const regime = job.regimes[r]!;
    clearCollected();
    const rand = prng(job.seed + 7919 * r + t);
    const d = Math.min(regime.dirtyPages, total);
    let reapMs = 0;
    let reaps = 0;
    for (const [i, page] of spreadPages(d, total, rand).entries()) {
      let slot = slots.length - 1;
      while (page < starts[slot]!) slot--;
      const out = vm.vcpus[i % vm.vcpus.length]!.write(slots[slot]!, page - starts[slot]!);
      if (out.kind === 'ring-full') throw new Error(`a ring reached its hard limit at page ${page}: the VMM reaps at the soft limit, so this is a bug`);
      if (out.kind === 'ring-soft-full' && mode.reap) {
        const t2 = performance.now();
        mode.reap(ctx);
        reapMs += performance.now() - t2;
        reaps++;
      }
    }
    const t3 = performance.now();
    mode.collect(ctx, false);
    const syncMs = reapMs + (performance.now() - t3);
    const collected = slots.reduce((a, s, i) => a + arena.engine.bitmapCount(arena.plan.slots[i]!.collected, s.pages), 0);
    if (t >= 0) post({ kind: 'trial', regime: r, trial: t, syncMs, reapMs, reaps, dirtyPages: d, collected });
  }
  post({ kind: 'done' });
}

/**
 * `d` distinct pages spread over the guest (one in each of `d` equal strides: stratified), in
 * random order, as dirty_log_test's random writer would dirty them: the reset cannot count on
 * neighbouring entries to coalesce any more than a random guest lets it.
 */
function spreadPages(d: number, total: number, rand: () => number): Float64Array {
  const pages = new Float64Array(d);
  for (let i = 0; i < d; i++) pages[i] = Math.floor(((i + rand()) * total) / d);
  for (let i = d - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [pages[i], pages[j]] = [pages[j]!, pages[i]!];
  }
  return pages;
}

main().catch((err: unknown) => post({ kind: 'error', message: err instanceof Error ? err.message : String(err) }));
