/**
 * Runs one guest-sweep point (a guest size under a tracking mode) in its own thread
 * (sync-cost-worker.ts) and gathers what it measured. The wait is bounded: a point that takes
 * longer than its budget is terminated and reported, and the signal terminates it at once.
 */
import { spawnWorker } from '../threads/spawn.ts';
import type { EngineKind } from '../engine/exports.ts';

export interface SyncCostJob {
  readonly mode: string;
  /** Pages of each memslot: a guest above KVM's 8 TiB slot limit takes several, as QEMU splits it. */
  readonly slotPages: readonly number[];
  readonly vcpus: number;
  readonly ringEntries: number;
  readonly engine: EngineKind;
  readonly regimes: readonly { readonly dirtyPages: number }[];
  readonly trials: number;
  readonly seed: number;
}

export type SyncCostMessage =
  | { readonly kind: 'setup'; readonly setupMs: number; readonly firstSyncMs: number }
  | { readonly kind: 'trial'; readonly regime: number; readonly trial: number; readonly syncMs: number; readonly reapMs: number; readonly reaps: number; readonly dirtyPages: number; readonly collected: number }
  | { readonly kind: 'done' }
  | { readonly kind: 'error'; readonly message: string };

export type SyncCostTrial = Extract<SyncCostMessage, { kind: 'trial' }>;

export type SyncCostOutcome =
  | { readonly kind: 'done'; readonly setupMs: number; readonly firstSyncMs: number; readonly trials: readonly SyncCostTrial[] }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'failed'; readonly message: string };

export function measureSyncCost(job: SyncCostJob, o: { readonly signal?: AbortSignal; readonly budgetMs: number }): Promise<SyncCostOutcome> {
  if (o.signal?.aborted) return Promise.resolve({ kind: 'aborted' });
  const worker = spawnWorker('experiments/sync-cost-worker', job, 'sync-cost');
  const trials: SyncCostTrial[] = [];
  let setup: Extract<SyncCostMessage, { kind: 'setup' }> | undefined;
  return new Promise<SyncCostOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: SyncCostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      // terminate() returns once the thread is gone; its arena goes with it.
      void worker.terminate().then(() => resolve(outcome), () => resolve(outcome));
    };
    const onAbort = () => finish({ kind: 'aborted' });
    const timer = setTimeout(() => finish({ kind: 'failed', message: `did not finish within ${Math.round(o.budgetMs / 1000)} s` }), o.budgetMs);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: SyncCostMessage) => {
      if (m.kind === 'setup') setup = m;
      else if (m.kind === 'trial') trials.push(m);
      else if (m.kind === 'error') finish({ kind: 'failed', message: m.message });
      else finish(setup ? { kind: 'done', setupMs: setup.setupMs, firstSyncMs: setup.firstSyncMs, trials } : { kind: 'failed', message: 'finished without setting up' });
    });
    worker.on('error', (err) => finish({ kind: 'failed', message: err.message }));
    worker.on('exit', (code) => finish({ kind: 'failed', message: `the thread exited (code ${code}) before finishing` }));
  });
}
