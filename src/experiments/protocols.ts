/**
 * `compare protocols`: KVM's per-entry flags against the RFC's shared indices (adjacent, and 64
 * bytes apart), the ring design debate of 2019-2020 measured side by side on this machine:
 *
 *   kernels    push, harvest and reset per entry, one thread (src/bench/protocol-kernels.ts)
 *   transfer   the two-thread pipeline: one vCPU pushing, the collector polling, harvesting and
 *              resetting (src/bench/transfer.ts), entries per second and the collector's looks
 *   sweep      ring sizes under each protocol with QEMU's reaper (2 vCPUs, random writes)
 *   lines      the cache-line transfers each protocol causes, counted in the model
 *              (cache-lines.ts), over the collector's look rate and at the rate it measured
 *
 * Every timed part interleaves the protocols trial by trial. Verdicts say which protocol won
 * where, by how much, and why, in numbers; a difference under 10%, or one whose trials overlap,
 * is a tie.
 */
import os from 'node:os';
import { machineInfo, type MachineInfo } from '../bench/machine.ts';
import { runProtocolKernels, type ProtocolKernel, type ProtocolKernelRow } from '../bench/protocol-kernels.ts';
import type { Summary } from '../bench/stats.ts';
import { runTransferBench, TRANSFER_GUEST, type TransferRow } from '../bench/transfer.ts';
import type { EngineKind } from '../engine/exports.ts';
import { RING_PROTOCOLS, type RingProtocol } from '../kvm/ring-protocol.ts';
import { ring } from '../tracking/ring.ts';
import { requireBoolean, requireInteger, requireOneOf } from '../validate.ts';
import { countLineTransfers, pollBatch, type LineCount } from './cache-lines.ts';
import { progressClock, type ProgressListener } from './progress.ts';
import { runPoints, type PointOutcome } from './trials.ts';
import { count, percent, si, times } from './words.ts';

/** How `compare --list` shows it, beside the named comparisons of comparisons.ts. */
export const PROTOCOL_COMPARISON = {
  name: 'protocols',
  summary: "KVM's per-entry flags against the RFC's shared indices (adjacent, 64 bytes apart): push, harvest and reset per entry, two threads, ring sizes, cache-line transfers counted in a model",
} as const;

export interface ProtocolComparisonOptions {
  /** A coarse grid that finishes in well under a minute. */
  readonly quick?: boolean;
  /** Trials of the transfer and the sweep, rounds of the kernels (at least 3). @default 3; quick: 2, so every verdict still has a spread to judge */
  readonly trials?: number;
  readonly engine?: EngineKind;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface SweepPoint {
  readonly protocol: RingProtocol;
  readonly ringEntries: number;
  readonly outcome: PointOutcome;
}

export interface LookRate {
  readonly protocol: RingProtocol;
  readonly ringEntries: number;
  /** Pushes between two looks of the collector, as measured in the transfer (median). */
  readonly pushesPerLook: number;
  /** The model at that rate. */
  readonly model: LineCount;
}

export interface ProtocolVerdicts {
  /** Which protocol wins where, in a few sentences: the report's first lines. */
  readonly summary: readonly string[];
  readonly kernels: readonly string[];
  readonly transfer: readonly string[];
  readonly sweep: readonly string[];
  readonly lines: readonly string[];
  readonly security: readonly string[];
}

export interface ProtocolComparisonResult {
  readonly kind: 'protocol-comparison';
  readonly date: string;
  readonly machine: MachineInfo;
  readonly method: {
    readonly grid: 'quick' | 'full';
    readonly protocols: readonly RingProtocol[];
    readonly engine: EngineKind;
    readonly kernels: { readonly rounds: number; readonly entriesPerCall: number; readonly timeMsPerSample: number };
    readonly transfer: { readonly sizes: readonly number[]; readonly trials: number; readonly secondsPerTrial: number; readonly guest: string };
    readonly sweep: { readonly sizes: readonly number[]; readonly trials: number; readonly secondsPerTrial: number; readonly workload: string };
    readonly lines: { readonly ringEntries: number; readonly batch: number; readonly pushesPerLook: readonly number[]; readonly model: string };
    readonly order: string;
    readonly won: string;
    /** The 1-minute load average as the comparison started and as it ended: the machine's other work, beside the figures. */
    readonly loadAverage: { readonly start: number; readonly end: number; readonly cpus: number };
  };
  readonly kernels: readonly ProtocolKernelRow[];
  readonly transfer: readonly TransferRow[];
  readonly sweep: readonly SweepPoint[];
  readonly lines: {
    /** The collector's schedule (a batch is an eighth of the ring), over the look intervals. */
    readonly batch: readonly LineCount[];
    /** The poller that chases the producer (batch 1), over the same intervals. */
    readonly chase: readonly LineCount[];
    /** The model at the look rate each transfer point measured. */
    readonly measured: readonly LookRate[];
  };
  readonly verdicts: ProtocolVerdicts;
  readonly interrupted: boolean;
}

const WON = 'in each duel (flags against indices, indices against indices-apart), the better median by 10% or more, with the winner\'s worst trial (or round) better than the other\'s median, over two trials or more; otherwise a tie';
const LINE_RING = 4096;
const LOOK_INTERVALS = [1, 2, 4, 8, 16, 32, 64, 128];
/** Seconds a run spends starting its threads, for progress estimates. */
const START_S = 0.4;

export async function compareProtocols(o: ProtocolComparisonOptions = {}): Promise<ProtocolComparisonResult> {
  const quick = requireBoolean('quick', o.quick, false);
  const trials = requireInteger('trials', o.trials ?? (quick ? 2 : 3), 1, 100);
  const engine = requireOneOf('engine', o.engine, ['wasm', 'js'] as const, 'wasm');
  const protocols = RING_PROTOCOLS;
  const rounds = Math.max(3, trials);
  const transferSizes = quick ? [512, 4096] : [512, 4096, 65536];
  const transferSeconds = quick ? 0.4 : 1;
  const sweepSizes = quick ? [256, 4096, 65536] : [256, 1024, 4096, 16384, 65536];
  const sweepSeconds = quick ? 0.25 : 1;
  const sweepWorkload = { vcpus: 2, memory: '1GiB', pattern: 'random' as const, intervalMs: 100 };

  const steps = [
    ...Array.from({ length: rounds * 4 * protocols.length }, () => 0.15),
    ...Array.from({ length: transferSizes.length * trials * protocols.length }, () => transferSeconds + START_S),
    ...Array.from({ length: sweepSizes.length * trials * protocols.length }, () => sweepSeconds + START_S),
  ];
  const clock = progressClock(steps);
  let step = -1;
  const next = (label: string) => {
    if (step >= 0) clock.finished(step);
    step = Math.min(step + 1, steps.length - 1);
    o.onProgress?.(clock.starting(step, label));
  };

  const loadAtStart = os.loadavg()[0]!;
  const kernelRun = await runProtocolKernels({ protocols, rounds, engine, ...(o.signal ? { signal: o.signal } : {}), onStep: (label) => next(`kernels: ${label}`) });
  const transfer = kernelRun.interrupted ? { rows: [], interrupted: true } : await runTransferBench({
    sizes: transferSizes, protocols, trials, seconds: transferSeconds, engines: [engine], ...(o.signal ? { signal: o.signal } : {}), onTrial: next,
  });
  let sweep: SweepPoint[] = [];
  let sweepInterrupted = false;
  if (!transfer.interrupted) {
    const points = sweepSizes.flatMap((ringEntries) => protocols.map((ringProtocol) => ({ ringEntries, ringProtocol })));
    const run = await runPoints(points.map((p) => ({
      label: `sweep, ${p.ringEntries} entries, ${p.ringProtocol}`,
      options: { ...sweepWorkload, strategy: ring.name, ringEntries: p.ringEntries, ringProtocol: p.ringProtocol, seconds: sweepSeconds },
    })), { trials, ...(o.signal ? { signal: o.signal } : {}), onProgress: (p) => next(p.label) });
    sweep = points.map((p, i) => ({ protocol: p.ringProtocol, ringEntries: p.ringEntries, outcome: run.points[i]! })).filter((p) => p.outcome.trials.length > 0);
    sweepInterrupted = run.interrupted;
  }
  if (step >= 0) clock.finished(step);

  const batch = pollBatch(LINE_RING);
  const lines = {
    batch: protocols.flatMap((protocol) => LOOK_INTERVALS.map((lookEvery) => countLineTransfers({ protocol, ringEntries: LINE_RING, lookEvery, batch }))),
    chase: protocols.flatMap((protocol) => LOOK_INTERVALS.map((lookEvery) => countLineTransfers({ protocol, ringEntries: LINE_RING, lookEvery, batch: 1 }))),
    measured: transfer.rows.filter((r) => r.looksPerEntry.median > 0).map((r): LookRate => {
      const pushesPerLook = 1 / r.looksPerEntry.median;
      return {
        protocol: r.protocol, ringEntries: r.ringEntries, pushesPerLook,
        model: countLineTransfers({ protocol: r.protocol, ringEntries: r.ringEntries, lookEvery: Math.max(1, Math.round(pushesPerLook)), batch: pollBatch(r.ringEntries) }),
      };
    }),
  };
  const loadAverage = { start: loadAtStart, end: os.loadavg()[0]!, cpus: os.availableParallelism() };
  const result = {
    loadAverage,
    kernels: kernelRun.rows,
    transfer: transfer.rows,
    sweep,
    lines,
  };
  return {
    kind: 'protocol-comparison',
    date: new Date().toISOString(),
    machine: machineInfo(),
    method: {
      grid: quick ? 'quick' : 'full',
      protocols,
      engine,
      kernels: { rounds: kernelRun.method.rounds, entriesPerCall: kernelRun.method.entries, timeMsPerSample: kernelRun.method.timeMs },
      transfer: { sizes: transferSizes, trials, secondsPerTrial: transferSeconds, guest: `${TRANSFER_GUEST}, 1 vCPU writing a fresh page per write, the collector polling (reapIntervalMs 0)` },
      sweep: { sizes: sweepSizes, trials, secondsPerTrial: sweepSeconds, workload: `${sweepWorkload.vcpus} vCPUs, random writes, ${sweepWorkload.memory}, QEMU's reaper (on full exits and every second)` },
      lines: {
        ringEntries: LINE_RING, batch, pushesPerLook: LOOK_INTERVALS,
        model: 'two private caches, MSI, no eviction; the accesses of runSliceRing, the poller, dirtyRingsCollect and dirtyRingsReset, line by line; 16 rings of sequential pushes',
      },
      order: 'protocols interleaved: every protocol\'s first round (or trial) of a kernel or size, then every protocol\'s second, ...',
      won: WON,
      loadAverage,
    },
    kernels: result.kernels,
    transfer: result.transfer,
    sweep: result.sweep,
    lines: result.lines,
    verdicts: verdictsFor(result, protocols),
    interrupted: kernelRun.interrupted || transfer.interrupted || sweepInterrupted,
  };
}

type Measured = Pick<ProtocolComparisonResult, 'kernels' | 'transfer' | 'sweep' | 'lines'> & { readonly loadAverage: ProtocolComparisonResult['method']['loadAverage'] };

interface Candidate {
  readonly protocol: RingProtocol;
  readonly s: Summary;
}

/** The winner of a set of medians, or undefined for a tie (WON). */
export function winner(cands: readonly Candidate[], better: 'lower' | 'higher'): { best: Candidate; other: Candidate; ratio: number } | undefined {
  const sorted = [...cands].filter((c) => Number.isFinite(c.s.median)).sort((a, b) => (better === 'lower' ? a.s.median - b.s.median : b.s.median - a.s.median));
  const [best, other] = sorted;
  // One trial has no spread to judge a difference against.
  if (!best || !other || best.s.samples < 2 || other.s.samples < 2) return undefined;
  const ratio = better === 'lower' ? other.s.median / best.s.median : best.s.median / other.s.median;
  const worstOfBest = better === 'lower' ? best.s.max : best.s.min;
  const clear = better === 'lower' ? worstOfBest < other.s.median : worstOfBest > other.s.median;
  return ratio >= 1.1 && clear ? { best, other, ratio } : undefined;
}

const ns = (x: number): string => (x >= 1000 ? `${(x / 1000).toPrecision(3)} µs` : `${x < 10 ? x.toFixed(2) : x.toPrecision(3)} ns`);

/**
 * The review's two questions, each a duel: per-entry flags or shared indices (the RFC's,
 * adjacent), and adjacent indices or 64 bytes apart. Three-way, the two placements of one
 * design would split the shared-indices side and hide a clear lead over flags.
 */
const DUELS = [['flags', 'indices'], ['indices', 'indices-apart']] as const satisfies readonly (readonly [RingProtocol, RingProtocol])[];

/** Each duel's outcome, as `flags against indices: indices by 1.4x` or `...: a tie`. */
export function duels(cands: readonly Candidate[], better: 'lower' | 'higher'): string[] {
  return DUELS.flatMap(([a, b]) => {
    const pair = cands.filter((c) => c.protocol === a || c.protocol === b);
    if (pair.length < 2) return [];
    const w = winner(pair, better);
    return [`${a} against ${b}: ${w ? `${w.best.protocol} by ${times(w.ratio)}` : 'a tie'}`];
  });
}
const range = (s: Summary, f: (x: number) => string) => (s.samples > 1 ? ` (${f(s.min)} to ${f(s.max)})` : '');

/** What each kernel does differently under each protocol: the "why" of its verdict. */
const KERNEL_WORK: Readonly<Record<ProtocolKernel, string>> = {
  push: 'both write the entry and make one sequentially consistent store per push: flags store DIRTY into the entry (16 bytes, one line), indices publish avail_index (12 bytes of entry plus the index line)',
  harvest: 'flags hand every entry back with a RESET store (userspace writes each entry it takes), indices read the entries up to avail_index and store fetch_index once',
  'reset-seq': 'flags read each entry\'s flags, clear them and check for a pending signal per entry; indices read slot and offset up to the one validated fetch_index and write no entry',
  'reset-random': 'the same walk as reset-seq, with random offsets: one re-arm per entry dominates both',
};

function verdictsFor(m: Measured, protocols: readonly RingProtocol[]): ProtocolVerdicts {
  const kernels = [...new Set(m.kernels.map((r) => r.kernel))].map((k) => {
    const rows = m.kernels.filter((r) => r.kernel === k);
    const d = duels(rows.map((r) => ({ protocol: r.protocol, s: r.nsPerEntry })), 'lower');
    const all = rows.map((r) => `${r.protocol} ${ns(r.nsPerEntry.median)}${range(r.nsPerEntry, ns)}`).join(', ');
    return `${k}, per entry: ${d.join('; ')} (${all}): ${KERNEL_WORK[k]}.`;
  });

  const transfer = [...new Set(m.transfer.map((r) => r.ringEntries))].map((size) => {
    const rows = m.transfer.filter((r) => r.ringEntries === size);
    const d = duels(rows.map((r) => ({ protocol: r.protocol, s: r.mEntriesPerSecond })), 'higher');
    const mps = (x: number) => `${x.toFixed(1)} M`;
    const all = rows.map((r) => `${r.protocol} ${mps(r.mEntriesPerSecond.median)}${range(r.mEntriesPerSecond, mps)} entries/s, stall ${percent(r.stallShare.median)}`).join('; ');
    const why = m.lines.measured.filter((x) => x.ringEntries === size)
      .map((x) => `${x.protocol} looked every ${x.pushesPerLook.toFixed(0)} pushes, where the model counts ${x.model.totalPerEntry.toFixed(2)} line transfers per entry (${x.model.perEntry.indices.toFixed(2)} on the index lines)`).join('; ');
    return `${size} entries, entries per second: ${d.join('; ')} (${all}). ${why ? `Why: ${why}.` : ''}`.trim();
  });

  const sizes = [...new Set(m.sweep.map((p) => p.ringEntries))];
  const sweepOne = (key: 'writesPerSecond' | 'perEntry', better: 'lower' | 'higher', f: (x: number) => string) => sizes.map((size) => {
    const pts = m.sweep.filter((p) => p.ringEntries === size);
    const s = (p: SweepPoint): Summary => (key === 'perEntry'
      ? sum(p.outcome.summary.harvestNsPerEntry, p.outcome.summary.resetNsPerEntry)
      : p.outcome.summary.writesPerSecond);
    const d = duels(pts.map((p) => ({ protocol: p.protocol, s: s(p) })), better);
    return `${size}: ${d.join(', ')} [${pts.map((p) => `${p.protocol} ${f(s(p).median)}`).join(', ')}]`;
  }).join('; ');
  const sweep = sizes.length ? [
    `Guest writes per second by ring size (the guest's pace with QEMU's reaper): ${sweepOne('writesPerSecond', 'higher', si)}.`,
    `Collector time per entry (harvest + reset) by ring size: ${sweepOne('perEntry', 'lower', ns)}.`,
  ] : [];

  const lines = linesVerdicts(m.lines, protocols);
  const security = [
    'Flags: userspace writes every entry it collects, so it can rewrite every entry (flags, slot, offset), and the reset must judge each: it takes only entries marked RESET, validates every coalesced batch, and is bounded by a count and a pending signal; without those checks (test without-its-per-entry-checks-a-flags-reset-obeys-forged-entries) forged offsets re-arm another slot\'s pages and memory past every slot, and a thread marking entries RESET keeps one reset walking as long as it likes.',
    'Shared indices: the kernel takes one number from userspace, fetch_index, read once and checked once (more than the ring\'s size past reset_index is EINVAL, nothing reset); any value that passes is walked at most one ring, so no reset runs long, whatever a second thread writes meanwhile (test a-forged-fetch-index-is-refused-or-walked-at-most-one-ring). Slot and offset stay untrusted (the ring is mapped writable, as in the RFC) and are validated as with flags.',
    'Either way a hostile VMM can hurt only its own guest: a reset walked past the push index leaves the vCPU held at a full ring (both tests show it).',
  ];

  const summary = summaryVerdicts(m, kernels.length > 0);
  return { summary, kernels, transfer, sweep, lines, security };
}

/** Median of a sum of two measured quantities, as a summary of its own (their medians and ranges added). */
function sum(a: Summary, b: Summary): Summary {
  return { median: a.median + b.median, mad: a.mad + b.mad, min: a.min + b.min, max: a.max + b.max, samples: Math.min(a.samples, b.samples) };
}

function linesVerdicts(l: Measured['lines'], protocols: readonly RingProtocol[]): string[] {
  const at = (set: readonly LineCount[], p: RingProtocol, every: number) => set.find((c) => c.protocol === p && c.lookEvery === every);
  const flags1 = at(l.batch, 'flags', 1);
  const idx1 = at(l.batch, 'indices', 1);
  const apart1 = at(l.batch, 'indices-apart', 1);
  if (!flags1 || !idx1 || !apart1 || !protocols.includes('flags')) return [];
  // Where the looks' transfers on avail_index (two per look) match the RESET stores' (one per
  // four entries): even within 0.005 per entry, then the first interval clearly fewer.
  const diff = (e: number) => at(l.batch, 'indices-apart', e)!.totalPerEntry - at(l.batch, 'flags', e)!.totalPerEntry;
  const even = LOOK_INTERVALS.find((e) => Math.abs(diff(e)) < 0.005);
  const cross = LOOK_INTERVALS.find((e) => diff(e) <= -0.005);
  const pair = (e: number) => `${at(l.batch, 'indices-apart', e)!.totalPerEntry.toFixed(3)} against ${at(l.batch, 'flags', e)!.totalPerEntry.toFixed(3)}`;
  const chaseGap = at(l.chase, 'indices', 1)!.perEntry.indices - at(l.chase, 'indices-apart', 1)!.perEntry.indices;
  const batchGap = idx1.perEntry.indices - apart1.perEntry.indices;
  return [
    `Polling: with flags the collector looks at a batch's last entry, a line the producer has not reached, and the model counts ${flags1.perEntry.indices.toFixed(0)} index-line transfers even at a look per push; with shared indices each look reads avail_index, which the producer writes at every push, so each look moves that line twice (the look, then the producer's next publish): ${idx1.perEntry.indices.toFixed(2)} transfers per entry at a look per push, ${at(l.batch, 'indices', 64)!.perEntry.indices.toFixed(3)} at one per 64.`,
    `Harvest and reset: flags move each entry line about three times a lap (the producer's write, the collector's read, its RESET store) and indices about twice (no consumer write): ${flags1.perEntry.entries.toFixed(2)} against ${idx1.perEntry.entries.toFixed(2)} transfers per entry.`,
    cross === undefined
      ? 'Over every look interval modelled, shared indices moved more lines than flags.'
      : `So ${even !== undefined ? `the two break even at a look every ${even} pushes (${pair(even)} per entry, shared indices apart against flags); ` : ''}looking every ${cross} pushes or less often, shared indices move fewer lines than flags (${pair(cross)}), and looking more often, more (${idx1.totalPerEntry.toFixed(2)} against ${flags1.totalPerEntry.toFixed(2)} at every push).`,
    `Adjacent or apart: the indices 64 bytes apart save the transfer of the line that fetch_index's store takes from the producer, once per reap: ${batchGap.toFixed(4)} per entry with the collector's batches of ${flags1.batch}, ${chaseGap.toFixed(2)} per entry for a poller that chases the producer. Apart removes false sharing; the true sharing of avail_index, the review's real concern, stays.`,
  ];
}

function summaryVerdicts(m: Measured, any: boolean): string[] {
  if (!any) return ['Nothing finished: no verdict.'];
  const kernelWins = [...new Set(m.kernels.map((r) => r.kernel))].map((k) => `${k} (${duels(m.kernels.filter((r) => r.kernel === k).map((r) => ({ protocol: r.protocol, s: r.nsPerEntry })), 'lower').join(', ')})`);
  const transferWins = [...new Set(m.transfer.map((r) => r.ringEntries))].map((size) => `${size} entries (${duels(m.transfer.filter((r) => r.ringEntries === size).map((r) => ({ protocol: r.protocol, s: r.mEntriesPerSecond })), 'higher').join(', ')})`);
  const looks = m.lines.measured.map((x) => x.pushesPerLook);
  return [
    `Per entry on one thread, ${kernelWins.join('; ')}.`,
    ...(transferWins.length ? [`Two threads (entries per second): ${transferWins.join('; ')}. The collector looked every ${count(Math.min(...looks))} to ${count(Math.max(...looks))} pushes.${pace(m.transfer)}`] : []),
    ...whyInLines(m),
    ...noiseFloor(m),
  ];
}

/**
 * The measurement's own noise, in numbers: indices and indices-apart differ by one line
 * transfer per reap (0.002 per entry at the collector's batches), nothing a clock can see, so
 * the gap between their medians is what this machine's load alone does to a comparison.
 */
function noiseFloor(m: Measured): string[] {
  const gaps = [...new Set(m.transfer.map((r) => r.ringEntries))].flatMap((size) => {
    const [a, b] = (['indices', 'indices-apart'] as const).map((p) => m.transfer.find((r) => r.ringEntries === size && r.protocol === p)?.mEntriesPerSecond.median);
    return a && b ? [Math.max(a, b) / Math.min(a, b)] : [];
  });
  const load = `load average ${m.loadAverage.start.toFixed(1)} as it started and ${m.loadAverage.end.toFixed(1)} as it ended, on ${m.loadAverage.cpus} CPUs`;
  if (!gaps.length) return [`The machine: ${load}.`];
  return [`Noise: indices and indices-apart differ by one line transfer per reap, yet their transfer medians differed by up to ${times(Math.max(...gaps))} (${load}); read a lead of that size between flags and indices as this machine's noise, not the protocol's.`];
}

/** What set the transfer's pace: an entry's time end to end, and how much of the vCPU's time was stall. */
function pace(rows: readonly TransferRow[]): string {
  const nsPerEntry = rows.map((r) => 1000 / r.mEntriesPerSecond.median);
  const stall = rows.map((r) => r.stallShare.median);
  const [lo, hi] = [Math.min(...stall), Math.max(...stall)];
  return ` An entry took ${ns(Math.min(...nsPerEntry))} to ${ns(Math.max(...nsPerEntry))} end to end, and the vCPU stalled ${percent(lo)} to ${percent(hi)} of its time on full exits${lo > 0.5 ? ': the full-exit handshake (an exit, a wake-up, a reset), not the protocol\'s line traffic, set the pace' : ''}.`;
}

/**
 * The why, in the model's numbers at the look rate each protocol measured: the entry lines
 * flags' RESET stores move against the index line shared indices' looks move.
 */
function whyInLines(m: Measured): string[] {
  const sizes = [...new Set(m.lines.measured.map((x) => x.ringEntries))];
  const parts = sizes.map((size) => {
    const at = (p: RingProtocol) => m.lines.measured.find((x) => x.ringEntries === size && x.protocol === p);
    const [f, i] = [at('flags'), at('indices')];
    if (!f || !i) return undefined;
    return `${size} entries: flags ${f.model.totalPerEntry.toFixed(2)} line transfers per entry (entries ${f.model.perEntry.entries.toFixed(2)}, index lines 0), indices ${i.model.totalPerEntry.toFixed(2)} (entries ${i.model.perEntry.entries.toFixed(2)}, index lines ${i.model.perEntry.indices.toFixed(2)})`;
  }).filter((x) => x !== undefined);
  return parts.length
    ? [`Why, in the cache-line model at the look rates measured: ${parts.join('; ')}. Flags pay a line transfer per four entries for the collector's RESET stores; shared indices pay two per look for avail_index, so they come out ahead only when the collector looks rarely.`]
    : [];
}
