/**
 * Ring transfer between two threads: one vCPU writing through the fault path (every write
 * lands on an armed page, so every write pushes an entry) while the collector harvests and
 * resets back to back. Reports entries moved per second, full exits and vCPU stall time per
 * ring size. Each size runs `trials` times; medians and ranges are reported, because single
 * runs on a shared 2-core machine vary widely.
 */
import { startRun, type RunResult } from '../run/run.ts';
import { ring } from '../tracking/ring.ts';
import type { EngineKind } from '../engine/exports.ts';
import { machineInfo, type MachineInfo } from './machine.ts';
import { summarize, type Summary } from './stats.ts';
import { dirtyRingSize } from '../kvm/dirty-ring-size.ts';
import { requireInteger, requirePositive } from '../validate.ts';

export const TRANSFER_RING_SIZES = [512, 4096, 65536] as const;

export interface TransferRow {
  readonly ringEntries: number;
  readonly engine: EngineKind;
  /** Entries harvested (and reset) per second, in millions. */
  readonly mEntriesPerSecond: Summary;
  readonly fullExitsPerSecond: Summary;
  /** Share of the vCPU's time spent waiting for resets. */
  readonly stallShare: Summary;
  /** Median stall per full exit (exit to the next write), in µs, over the trials' medians. */
  readonly stallPerExitUs: Summary;
}

export interface TransferReport {
  readonly kind: 'transfer-bench';
  readonly date: string;
  readonly machine: MachineInfo;
  readonly method: { readonly secondsPerTrial: number; readonly trials: number; readonly guest: string };
  readonly rows: readonly TransferRow[];
  /** The signal stopped the run: `rows` holds the ring sizes whose trials all finished. */
  readonly interrupted: boolean;
}

export interface TransferOptions {
  readonly sizes?: readonly number[];
  readonly engines?: readonly EngineKind[];
  readonly trials?: number;
  readonly seconds?: number;
  readonly signal?: AbortSignal;
  readonly onRow?: (row: TransferRow) => void;
}

export const TRANSFER_GUEST = '64GiB'; // tracking only; a sequential pass is 16 M pages, longer than any trial

export async function runTransferBench(options: TransferOptions = {}): Promise<TransferReport> {
  const trials = requireInteger('trials', options.trials ?? 3, 1, 1000);
  const seconds = requirePositive('seconds', options.seconds ?? 1, 600);
  const sizes = options.sizes ?? TRANSFER_RING_SIZES;
  for (const n of sizes) dirtyRingSize(n, false); // KVM's sizing rules, before any trial runs
  const rows: TransferRow[] = [];
  const report = (): TransferReport => ({
    kind: 'transfer-bench', date: new Date().toISOString(), machine: machineInfo(), method: { secondsPerTrial: seconds, trials, guest: TRANSFER_GUEST }, rows,
    interrupted: options.signal?.aborted ?? false,
  });
  for (const engine of options.engines ?? ['wasm']) {
    for (const ringEntries of sizes) {
      const runs: RunResult[] = [];
      for (let t = 0; t < trials; t++) {
        if (options.signal?.aborted) return report();
        const r = await startRun({
          strategy: ring.name, engine, vcpus: 1, memory: TRANSFER_GUEST, ringEntries, pattern: 'sequential', seconds,
          intervalMs: seconds * 1000, minWrites: 0, reapIntervalMs: 0, sliceWrites: 4096,
          ...(options.signal ? { signal: options.signal } : {}),
        }).result;
        // An interrupted trial is cut short: its rates would skew the row, so the row is dropped.
        if (r.kind === 'aborted') return report();
        if (r.kind !== 'completed') throw new Error(`transfer trial with a ${ringEntries}-entry ring ended ${r.kind}: ${r.kind === 'failed' ? r.error.message : ''}`);
        runs.push(r);
      }
      const per = (f: (r: RunResult) => number) => summarize(runs.map(f));
      const row: TransferRow = {
        ringEntries,
        engine,
        mEntriesPerSecond: per((r) => r.totals.entriesPerSecond / 1e6),
        fullExitsPerSecond: per((r) => r.totals.fullExits / (r.totals.runningMs / 1000)),
        stallShare: per((r) => r.totals.stallMs / r.totals.runningMs),
        stallPerExitUs: per((r) => r.totals.stallPerExitUs.p50),
      };
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return report();
}
