/**
 * The named comparisons of `dirtylog compare NAME`, in the spirit of QEMU's guestperf
 * comparisons: each a list of scenarios on the same machine, one report each. A new one is one
 * entry in COMPARISONS: a name, a line for `--list`, and its scenarios (coarser and shorter
 * when `quick`). Modes are taken from their records (src/tracking), never spelled here.
 */
import type { RunOptions } from '../run/options.ts';
import { bitmap } from '../tracking/bitmap.ts';
import { clearLog } from '../tracking/clear-log.ts';
import { MODES } from '../tracking/index.ts';
import { ring } from '../tracking/ring.ts';
import type { ComparisonScenario, ComparisonSpec, GroupJudge } from './comparison.ts';
import { DIRTY_LIMIT_JUDGE } from './dirty-limit.ts';
import { DIRTY_RATE_JUDGE, dirtyRateRunOptions, type DirtyRateOptions } from './dirty-rate.ts';

export interface NamedComparison {
  readonly name: string;
  /** One line for `dirtylog compare --list`. */
  readonly summary: string;
  scenarios(quick: boolean): ComparisonScenario[];
  /** @default { full: 3, quick: 1 } */
  readonly trials?: { readonly full: number; readonly quick: number };
  /** Its own verdict, when its question is not which scenario let the guest write fastest. */
  readonly judge?: GroupJudge;
}

type Options = Omit<RunOptions, 'signal' | 'strategy'>;

const DENSE: Options = { vcpus: 2, memory: '1GiB', pattern: 'random', intervalMs: 100 };
/** The tour's sparse regime: a small hot set written at a capped rate, so the dirty count per round stays small. */
const SPARSE: Options = { vcpus: 2, pattern: 'zipf', hotPages: 2048, writeRate: 20_000, intervalMs: 200 };
const secs = (quick: boolean, full: number) => ({ seconds: quick ? Math.min(0.5, full) : full });
/** The ring size applies to modes that have rings; a ring size for a bitmap is an error. */
const withRing = (mode: { usesRing: boolean }, entries: number) => (mode.usesRing ? { ringEntries: entries } : {});

/** calc-dirty-rate's workloads: the write pattern and the hot set decide each mode's error. */
const RATE_WORKLOADS: readonly { group: string; quick: boolean; options: Omit<DirtyRateOptions, 'strategy'> }[] = [
  { group: 'uniform random', quick: true, options: { pattern: 'random' } },
  { group: 'uniform random, 20,000 writes/s per vCPU', quick: false, options: { pattern: 'random', writeRate: 20_000 } },
  { group: 'Zipf, 1024 hot pages', quick: false, options: { pattern: 'zipf', hotPages: 1024 } },
  { group: 'Zipf, 4096 hot pages', quick: true, options: { pattern: 'zipf', hotPages: 4096 } },
  { group: 'Zipf, 65536 hot pages', quick: true, options: { pattern: 'zipf', hotPages: 65_536 } },
  { group: 'sequential', quick: true, options: { pattern: 'sequential' } },
];

/** A calc-dirty-rate scenario: `measurements` periods of `calcTimeMs` on 2 vCPUs writing a 1 GiB guest. */
function rateScenario(name: string, group: string, quick: boolean, o: DirtyRateOptions): ComparisonScenario {
  return { name, group, options: dirtyRateRunOptions({ vcpus: 2, memory: '1GiB', calcTimeMs: quick ? 200 : 1000, measurements: quick ? 2 : 5, ...o }) };
}

/** QEMU's dirty limits compared: no limit and three limits per vCPU. */
const LIMITS = [0, 100_000, 200_000, 400_000];
/**
 * The guests the limits hold. A model write costs nanoseconds where a first write to a
 * protected page costs about 2 µs on KVM here, so an uncapped vCPU dirties millions of pages a
 * second and spends most of its time waiting for the collector's reaps: QEMU's controller then
 * reads a rate below the vCPU's pace, its first step falls short, and its steps of a tenth of
 * a ring-fill time take seconds to close the gap. Capped at 500,000 writes/s per vCPU, the
 * guest dirties at a real guest's pace, as QEMU's controller expects.
 */
const LIMIT_GUESTS: readonly { group: string; quick: boolean; options: { writeRate?: number } }[] = [
  { group: 'random writes, 500,000/s per vCPU (about 2 µs a write, as on KVM)', quick: true, options: { writeRate: 500_000 } },
  { group: 'random writes, uncapped (millions/s per vCPU)', quick: false, options: {} },
];

export const COMPARISONS: readonly NamedComparison[] = [
  {
    name: 'ring-sizes',
    summary: 'the ring at 1024, 4096, 16384 and 65536 entries on random writes to 1 GiB: throughput, exits, stalls',
    scenarios: (quick) => [1024, 4096, 16384, 65536].map((entries) => ({
      name: `${entries} entries`, group: 'random writes, 1 GiB, 2 vCPUs',
      options: { ...DENSE, ...secs(quick, 1), strategy: ring.name, ringEntries: entries },
    })),
  },
  {
    name: 'strategies',
    summary: 'every tracking mode on the same workloads: heavy random writes (verified) and sparse writes to a 256 GiB guest; vCPU writes only (no device writer), so every mode sees the same writes',
    scenarios: (quick) => [
      ...MODES.map((m) => ({
        name: m.name, group: 'heavy random writes, 64 MiB (verified)',
        options: { vcpus: 2, memory: '64MiB', pattern: 'random' as const, intervalMs: 200, verify: true, deviceWriter: false, ...secs(quick, 2), strategy: m.name, ...withRing(m, 4096) },
      })),
      ...MODES.map((m) => ({
        name: m.name, group: 'sparse writes, 256 GiB (tracking only)',
        options: { ...SPARSE, memory: '256GiB', deviceWriter: false, ...secs(quick, 2), strategy: m.name, ...withRing(m, 4096) },
      })),
    ],
  },
  {
    name: 'guest-sizes',
    summary: 'ring, bitmap and clear-log as the guest grows (1 GiB to 1 TiB) under the same sparse writes: the collector\'s cost per iteration',
    scenarios: (quick) => (quick ? ['1GiB', '256GiB'] : ['1GiB', '16GiB', '256GiB', '1TiB']).flatMap((memory) => [ring, bitmap, clearLog].map((m) => ({
      name: m.name, group: `sparse writes, ${memory}`,
      options: { ...SPARSE, memory, ...secs(quick, 1), strategy: m.name, ...withRing(m, 4096) },
    }))),
  },
  {
    name: 'vcpus',
    summary: 'ring and bitmap with 1, 2, 4 and 8 vCPUs on random writes to 1 GiB (8 vCPU threads share this machine\'s cores)',
    scenarios: (quick) => (quick ? [1, 4] : [1, 2, 4, 8]).flatMap((vcpus) => [ring, bitmap].map((m) => ({
      name: m.name, group: `${vcpus} vCPU${vcpus > 1 ? 's' : ''}, random writes, 1 GiB`,
      options: { ...DENSE, vcpus, ...secs(quick, 1), strategy: m.name, ...withRing(m, 4096) },
    }))),
  },
  {
    name: 'pml',
    summary: 'Intel PML off and on, for the ring (1024 entries, the smallest PML allows) and the bitmap, on random writes to 1 GiB',
    scenarios: (quick) => [ring, bitmap].flatMap((m) => [false, true].map((pml) => ({
      name: pml ? 'PML on' : 'PML off', group: `${m.name}, random writes, 1 GiB`,
      options: { ...DENSE, pml, ...secs(quick, 1), strategy: m.name, ...withRing(m, 1024) },
    }))),
  },
  {
    name: 'dirty-rate-modes',
    summary: 'QEMU\'s calc-dirty-rate in its three modes (page-sampling, dirty-ring, dirty-bitmap) against the pages the engine counted, on uniform, Zipf and sequential writes, and page-sampling by sample size',
    trials: { full: 2, quick: 1 },
    judge: DIRTY_RATE_JUDGE,
    scenarios: (quick) => [
      ...RATE_WORKLOADS.filter((w) => quick ? w.quick : true).flatMap((w) => [ring, bitmap].map((m) => rateScenario(m.name, w.group, quick, {
        strategy: m.name, ...withRing(m, 4096), ...w.options,
      }))),
      ...(quick ? [128, 1024, 16_384] : [128, 256, 512, 1024, 2048, 4096, 8192, 16_384]).map((samplePages) => rateScenario(
        `${samplePages} pages/GiB`, 'uniform random, by sample size', quick, { strategy: bitmap.name, pattern: 'random', samplePages },
      )),
    ],
  },
  {
    name: 'dirty-limit',
    summary: 'QEMU\'s dirty limit at 100k, 200k and 400k dirty pages/s per vCPU against none, on random writes to 1 GiB: how soon and how close each vCPU settles, and what it costs the guest',
    judge: DIRTY_LIMIT_JUDGE,
    scenarios: (quick) => LIMIT_GUESTS.filter((g) => !quick || g.quick).flatMap((g) => LIMITS.map((limit) => ({
      name: limit ? `${limit / 1000}k pages/s` : 'no limit', group: g.group,
      options: {
        strategy: ring.name, vcpus: 2, memory: '1GiB', pattern: 'random' as const, ringEntries: 1024, intervalMs: 100, minWrites: 0,
        seconds: quick ? 2.5 : 5, ...g.options, ...(limit ? { dirtyLimit: limit, dirtyLimitPeriodMs: 100 } : {}),
      },
    }))),
  },
];

export const COMPARISON_NAMES = COMPARISONS.map((c) => c.name);

export function namedComparison(name: string): NamedComparison | undefined {
  return COMPARISONS.find((c) => c.name === name);
}

/** The spec a named comparison runs: its scenarios for the grid, its trials unless given. */
export function comparisonSpec(c: NamedComparison, quick: boolean, trials?: number): ComparisonSpec {
  return {
    name: c.name, summary: c.summary, scenarios: c.scenarios(quick), trials: trials ?? (quick ? (c.trials?.quick ?? 1) : (c.trials?.full ?? 3)),
    ...(c.judge ? { judge: c.judge } : {}),
  };
}
