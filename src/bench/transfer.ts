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
import { RING_PROTOCOLS, type RingProtocol } from '../kvm/ring-protocol.ts';
import { requireInteger, requireOneOf, requirePositive } from '../validate.ts';

export const TRANSFER_RING_SIZES = [512, 4096, 65536] as const;
/**
 * Seconds per trial by default. Each trial starts new worker threads, whose JavaScript (the
 * vCPU's slice loop, the collector's poll and reap) runs unoptimized until V8 has compiled it,
 * for 0.1 to 0.2 s here: 1 s trials read 20 to 45 % below 3 s trials at 512 and 4096 entries
 * (interleaved, this machine), and a longer trial leaves the start-up out of the figure.
 */
export const TRANSFER_SECONDS = 3;

export interface TransferRow {
  readonly ringEntries: number;
  readonly engine: EngineKind;
  readonly protocol: RingProtocol;
  /** Entries harvested (and reset) per second, in millions. */
  readonly mEntriesPerSecond: Summary;
  readonly fullExitsPerSecond: Summary;
  /** Share of the vCPU's time spent waiting for resets. */
  readonly stallShare: Summary;
  /** Median stall per full exit (exit to the next write), in µs, over the trials' medians. */
  readonly stallPerExitUs: Summary;
  /**
   * The 99th percentile of the stall per full exit, in µs, over the trials' p99s: the exits
   * that waited for a collector that was not running (a descheduled thread, a GC pause).
   */
  readonly stallPerExitP99Us: Summary;
  /** The collector's looks at the ring per entry moved (with shared indices, each reads avail_index). */
  readonly looksPerEntry: Summary;
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
  /** @default ['flags'] */
  readonly protocols?: readonly RingProtocol[];
  readonly trials?: number;
  /** @default TRANSFER_SECONDS */
  readonly seconds?: number;
  readonly signal?: AbortSignal;
  readonly onRow?: (row: TransferRow) => void;
  /** Called as each trial starts, for progress. */
  readonly onTrial?: (label: string) => void;
}

export const TRANSFER_GUEST = '64GiB'; // tracking only; a sequential pass is 16 M pages, longer than any trial

export async function runTransferBench(options: TransferOptions = {}): Promise<TransferReport> {
  const trials = requireInteger('trials', options.trials ?? 3, 1, 1000);
  const seconds = requirePositive('seconds', options.seconds ?? TRANSFER_SECONDS, 600);
  const sizes = options.sizes ?? TRANSFER_RING_SIZES;
  for (const n of sizes) dirtyRingSize(n, false); // KVM's sizing rules, before any trial runs
  const protocols = (options.protocols ?? ['flags']).map((p, i) => requireOneOf(`protocols[${i}]`, p, RING_PROTOCOLS));
  const rows: TransferRow[] = [];
  const report = (): TransferReport => ({
    kind: 'transfer-bench', date: new Date().toISOString(), machine: machineInfo(), method: { secondsPerTrial: seconds, trials, guest: TRANSFER_GUEST }, rows,
    interrupted: options.signal?.aborted ?? false,
  });
  for (const engine of options.engines ?? ['wasm']) {
    for (const ringEntries of sizes) {
      const runs = new Map<RingProtocol, RunResult[]>(protocols.map((p) => [p, []]));
      for (let t = 0; t < trials; t++) {
        for (const ringProtocol of protocols) {
          if (options.signal?.aborted) return report();
          options.onTrial?.(`transfer, ${ringEntries} entries, ${ringProtocol}${trials > 1 ? `, trial ${t + 1} of ${trials}` : ''}`);
          const r = await startRun({
            strategy: ring.name, engine, vcpus: 1, memory: TRANSFER_GUEST, ringEntries, ringProtocol, pattern: 'sequential', seconds,
            intervalMs: seconds * 1000, minWrites: 0, reapIntervalMs: 0, sliceWrites: 4096,
            ...(options.signal ? { signal: options.signal } : {}),
          }).result;
          // An interrupted trial is cut short: its rates would skew the row, so the row is dropped.
          if (r.kind === 'aborted') return report();
          if (r.kind !== 'completed') throw new Error(`transfer trial with a ${ringEntries}-entry ring (${ringProtocol}) ended ${r.kind}: ${r.kind === 'failed' ? r.error.message : ''}`);
          runs.get(ringProtocol)!.push(r);
        }
      }
      for (const protocol of protocols) {
        const per = (f: (r: RunResult) => number) => summarize(runs.get(protocol)!.map(f));
        const row: TransferRow = {
          ringEntries,
          engine,
          protocol,
          mEntriesPerSecond: per((r) => r.totals.entriesPerSecond / 1e6),
          fullExitsPerSecond: per((r) => r.totals.fullExits / (r.totals.runningMs / 1000)),
          stallShare: per((r) => r.totals.stallMs / r.totals.runningMs),
          stallPerExitUs: per((r) => r.totals.stallPerExitUs.p50),
          stallPerExitP99Us: per((r) => r.totals.stallPerExitUs.p99),
          looksPerEntry: per((r) => r.collector.looks / Math.max(1, r.totals.entriesHarvested)),
        };
        rows.push(row);
        options.onRow?.(row);
      }
    }
  }
  return report();
}
