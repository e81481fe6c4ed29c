/**
 * `sweep ring`: the dirty ring from the smallest size KVM allows (256 entries; 1024 with PML)
 * to the largest (65536), by powers of two, crossed with workloads (pattern, vCPUs, write
 * rate, PML), every point a real threaded run repeated over trials. Per point: guest write
 * throughput, dirty pages per second, full exits per second, vCPU stall share, harvest and
 * reset time per entry, collector CPU time (metrics.ts). Per workload: the knee, the best
 * size and why, where the rings' bytes cross each cache of this machine, and whether the
 * per-entry cost rises past a cache boundary (Michael S. Tsirkin's concern, kvm list
 * 2020-01-09: "4K is a whole cache way. 64K 16 ways.").
 *
 * Sides. The model by default; `calibrated` makes it pay this host's kernel costs (faultCostNs,
 * resetCostNs: given, or measured first by `dirtylog bench kvm --calibrate`'s operations); with
 * `backend: 'kvm'` every workload runs on the real kernel and, beside it on the same grid and
 * trials, on the model and the calibrated model, and model-error.ts says how far each lands.
 */
import { BACKEND_KINDS, type BackendKind } from '../backend/backend.ts';
import { CALIBRATION_OPERATIONS, kernelCosts, runKvmBench, type KernelCosts } from '../bench/kvm.ts';
import { machineInfo, type MachineInfo } from '../bench/machine.ts';
import { ENGINE_KINDS, type EngineKind } from '../engine/exports.ts';
import { minRingEntries } from '../kvm/dirty-ring-size.ts';
import { DIRTY_RING_MAX_ENTRIES } from '../layout.ts';
import { formatSize, parseSize } from '../run/size.ts';
import { ring } from '../tracking/ring.ts';
import { rejectUnknownKeys, requireBoolean, requireInteger, requireNumber, requireObject, requireOneOf, requirePositive } from '../validate.ts';
import { PATTERNS, type Pattern } from '../vcpu/workload.ts';
import { crossingEntries, dataCaches, ringBytes, sizeLabel, type CacheLevel } from './cache.ts';
import { bestIndex, findKnee, FLAT_TOLERANCE, BEST_TOLERANCE, STALL_TOLERANCE, type KneeFinding } from './knee.ts';
import { modelErrors, SIDE_LABELS, type SideError, type SweepSide } from './model-error.ts';
import type { ProgressListener } from './progress.ts';
import { checkPoints, runPoints, type PointOutcome, type PointSpec } from './trials.ts';
import { percent, si, times } from './words.ts';

export { SIDE_LABELS, type SweepSide } from './model-error.ts';

export interface RingWorkload {
  readonly side: SweepSide;
  readonly pattern: Pattern;
  readonly vcpus: number;
  /** Guest writes per second per vCPU; 0 = as fast as it goes. */
  readonly writeRate: number;
  readonly pml: boolean;
  readonly memoryBytes: number;
}

export interface RingSweepOptions {
  /** A coarse grid that finishes in well under a minute (about two with backend kvm). */
  readonly quick?: boolean;
  /** `kvm`: every workload on the real kernel, and beside it the model and the calibrated model. @default 'model' */
  readonly backend?: BackendKind;
  /** The model pays this host's kernel costs (a first write's fault, a reset entry). @default false */
  readonly calibrated?: boolean;
  /** The calibrated model's costs; measured on /dev/kvm first when absent. */
  readonly costs?: KernelCosts;
  /** Ring sizes in entries. @default 256 (1024 with PML) to 65536 by powers of two; quick: by powers of four */
  readonly sizes?: readonly number[];
  /** @default ['sequential', 'random', 'zipf']; quick: ['random', 'zipf'] */
  readonly patterns?: readonly Pattern[];
  /** @default [2] */
  readonly vcpus?: readonly number[];
  /** @default [0] (unlimited) */
  readonly writeRates?: readonly number[];
  /** @default [false] */
  readonly pml?: readonly boolean[];
  /** Guest memory, tracking only. @default '1GiB' */
  readonly memory?: string | number;
  /** @default 3 */
  readonly trials?: number;
  /** Seconds per run. @default 1; quick: 0.3 */
  readonly seconds?: number;
  /** @default 100 */
  readonly intervalMs?: number;
  /** Seed of every point's first trial; trial t uses seed + t. @default 1 */
  readonly seed?: number;
  readonly engine?: EngineKind;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface RingPoint {
  readonly ringEntries: number;
  /** entries x 16 x vCPUs: what the cache lines are drawn against. */
  readonly ringBytes: number;
  readonly outcome: PointOutcome;
}

export interface CacheCrossing {
  readonly cache: string;
  readonly label: string;
  /** The ring size at which the rings fill this cache (often not a power of two). */
  readonly entries: number;
  /** Within the swept sizes. */
  readonly inRange: boolean;
}

export interface CacheEffect {
  readonly cache: string;
  readonly label: string;
  /** Median harvest + reset ns per entry of the points with rings inside this cache, and beyond it. */
  readonly insideNs: number;
  readonly beyondNs: number;
  readonly ratio: number;
}

export interface RingAnalysis {
  readonly knee: KneeFinding & { readonly entries?: number; readonly bytes?: number; readonly atCache?: string; readonly nearestCache?: string };
  readonly best: { readonly entries: number; readonly bytes: number; readonly why: string } | undefined;
  readonly crossings: readonly CacheCrossing[];
  readonly cacheEffects: readonly CacheEffect[];
  /** One sentence per chart: throughput, stall, per-entry cost. */
  readonly verdicts: { readonly throughput: string; readonly stall: string; readonly perEntry: string };
}

export interface RingWorkloadResult {
  readonly label: string;
  readonly workload: RingWorkload;
  readonly points: readonly RingPoint[];
  readonly analysis: RingAnalysis;
}

export interface RingSweepMethod {
  readonly strategy: string;
  readonly sides: readonly SweepSide[];
  /** The calibrated model's costs, and whether they were given or measured for this sweep. */
  readonly costs?: KernelCosts & { readonly source: 'given' | 'measured' };
  readonly grid: 'quick' | 'full' | 'custom';
  readonly sizes: readonly number[];
  readonly trials: number;
  readonly secondsPerTrial: number;
  readonly intervalMs: number;
  readonly seed: number;
  readonly engine: EngineKind;
  readonly order: string;
  readonly knee: string;
  readonly best: string;
}

export interface RingSweepResult {
  readonly kind: 'ring-sweep';
  readonly date: string;
  readonly machine: MachineInfo;
  readonly caches: readonly CacheLevel[];
  readonly method: RingSweepMethod;
  readonly workloads: readonly RingWorkloadResult[];
  /** With the kernel among the sides: how far the model and the calibrated model land from it. */
  readonly errors: readonly SideError[];
  readonly interrupted: boolean;
}

const ALL_SIZES = (min: number) => Array.from({ length: Math.log2(DIRTY_RING_MAX_ENTRIES / min) + 1 }, (_, i) => min * 2 ** i);
/** Entries harvested over a point's trials below which its per-entry cost is left out (a few hundred entries time the clock). */
const MIN_ENTRIES_FOR_COST = 10_000;

/** The grid a sweep will run, checked: the CLI prints errors from here before anything starts. */
export interface RingSweepGrid {
  readonly workloads: readonly RingWorkload[];
  readonly sizes: readonly number[];
  readonly trials: number;
  readonly seconds: number;
  readonly intervalMs: number;
  readonly seed: number;
  readonly engine: EngineKind;
  readonly grid: RingSweepMethod['grid'];
  readonly sides: readonly SweepSide[];
  readonly costs: KernelCosts | undefined;
}

export function ringSweepGrid(o: RingSweepOptions): RingSweepGrid {
  const quick = requireBoolean('quick', o.quick, false);
  const backend = requireOneOf('backend', o.backend, BACKEND_KINDS, 'model');
  const calibrated = requireBoolean('calibrated', o.calibrated, false);
  const sides: SweepSide[] = backend === 'kvm' ? ['kernel', 'model', 'calibrated'] : [calibrated ? 'calibrated' : 'model'];
  const costs = o.costs === undefined ? undefined : checkCosts(o.costs);
  if (costs && !sides.includes('calibrated')) throw new RangeError('costs need calibrated: add calibrated, or drop costs');
  const list = <T>(name: string, v: readonly T[] | undefined, d: readonly T[], check: (x: unknown, n: string) => T): T[] => {
    if (v === undefined) return [...d];
    if (!Array.isArray(v) || v.length === 0) throw new TypeError(`${name} must be a non-empty list`);
    return [...new Set(v.map((x, i) => check(x, `${name}[${i}]`)))];
  };
  const sizes = list('sizes', o.sizes, quick ? [256, 1024, 4096, 16384, 65536] : ALL_SIZES(256), (x, n) => {
    const e = requireInteger(n, x, 256, DIRTY_RING_MAX_ENTRIES, 'ring sizes run from 256 (KVM\'s smallest) to 65536 entries');
    if ((e & (e - 1)) !== 0) throw new RangeError(`${n} must be a power of two, got ${e}: try ${2 ** Math.round(Math.log2(e))}`);
    return e;
  }).sort((a, b) => a - b);
  const patterns = list<Pattern>('patterns', o.patterns, quick ? ['random', 'zipf'] : ['sequential', 'random', 'zipf'], (x, n) => requireOneOf(n, x, PATTERNS));
  const vcpus = list('vcpus', o.vcpus, [2], (x, n) => requireInteger(n, x, 1, 64));
  const writeRates = list('writeRates', o.writeRates, [0], (x, n) => requireInteger(n, x, 0, 1e10));
  const pml = list('pml', o.pml, [false], (x, n) => requireBoolean(n, x, false));
  if (backend === 'kvm' && pml.some(Boolean)) throw new RangeError('pml must be off with backend kvm: whether KVM logs through PML is the host\'s choice, not the run\'s (this host has no PML)');
  if (pml.every(Boolean) && sizes.every((s) => s < minRingEntries(true))) {
    throw new RangeError(`sizes must include a ring of at least ${minRingEntries(true)} entries with pml (KVM reserves 64 + 512 entries), got ${sizes.join(', ')}`);
  }
  const memoryBytes = parseSize('memory', o.memory ?? '1GiB');
  const workloads: RingWorkload[] = [];
  for (const p of pml) for (const v of vcpus) for (const w of writeRates) for (const pattern of patterns) for (const side of sides) {
    workloads.push({ side, pattern, vcpus: v, writeRate: w, pml: p, memoryBytes });
  }
  return {
    workloads,
    sizes,
    trials: requireInteger('trials', o.trials ?? 3, 1, 100),
    seconds: requirePositive('seconds', o.seconds ?? (quick ? 0.3 : 1), 600),
    intervalMs: requireInteger('intervalMs', o.intervalMs ?? 100, 2, 60_000),
    seed: requireInteger('seed', o.seed ?? 1, -(2 ** 31), 2 ** 32 - 101),
    engine: requireOneOf('engine', o.engine, ENGINE_KINDS, 'wasm'),
    grid: o.sizes || o.patterns || o.vcpus || o.writeRates || o.pml ? 'custom' : quick ? 'quick' : 'full',
    sides,
    costs,
  };
}

function checkCosts(value: unknown): KernelCosts {
  const c = requireObject('costs', value);
  rejectUnknownKeys('costs', c, ['faultCostNs', 'resetCostNs']);
  return {
    faultCostNs: requireNumber('costs.faultCostNs', c.faultCostNs, 0, 1e7, 'nanoseconds per logged page'),
    resetCostNs: requireNumber('costs.resetCostNs', c.resetCostNs, 0, 1e7, 'nanoseconds per reset entry'),
  };
}

/** The workload without its side: what the kernel's and the models' series share. */
export function workloadLabel(w: Omit<RingWorkload, 'side'>): string {
  const rate = w.writeRate ? `, ${si(w.writeRate)} writes/s per vCPU` : '';
  return `${w.pattern}, ${w.vcpus} vCPU${w.vcpus > 1 ? 's' : ''}, ${formatSize(w.memoryBytes)}${w.pml ? ', PML' : ''}${rate}`;
}

/** A series' name: the workload, and its side when the sweep has more than one (or is the calibrated model alone). */
export function seriesLabel(w: RingWorkload, sides: readonly SweepSide[]): string {
  return sides.length > 1 || w.side !== 'model' ? `${workloadLabel(w)} · ${SIDE_LABELS[w.side]}` : workloadLabel(w);
}

/** The calibrated model's costs: as given, or measured now on /dev/kvm (a few seconds). */
async function sweepCosts(g: RingSweepGrid, signal: AbortSignal | undefined): Promise<RingSweepMethod['costs']> {
  if (!g.sides.includes('calibrated')) return undefined;
  if (g.costs) return { ...g.costs, source: 'given' };
  const bench = await runKvmBench({ operations: CALIBRATION_OPERATIONS, reps: 5, ...(signal ? { signal } : {}) });
  const measured = kernelCosts(bench.rows);
  if (!measured) return undefined; // interrupted before the calibration finished
  return { ...measured, source: 'measured' };
}

/** Each workload and the sizes it runs: KVM refuses rings below 1024 entries with PML, so those sizes do not exist for a PML workload. */
export function ringSweepPlan(g: RingSweepGrid): { w: RingWorkload; sizes: number[] }[] {
  return g.workloads.map((w) => ({ w, sizes: g.sizes.filter((s) => s >= minRingEntries(w.pml)) }));
}

/** Every point's run: the kernel's on /dev/kvm, the calibrated model's paying `costs`, the model's as it is. */
export function ringSweepPoints(g: RingSweepGrid, plan: readonly { w: RingWorkload; sizes: readonly number[] }[], costs: KernelCosts | undefined): PointSpec[] {
  return plan.flatMap(({ w, sizes }) => sizes.map((entries) => ({
    label: `ring ${entries} · ${seriesLabel(w, g.sides)}`,
    options: {
      strategy: ring.name, ringEntries: entries, vcpus: w.vcpus, memory: w.memoryBytes, pattern: w.pattern, pml: w.pml,
      writeRate: w.writeRate, seconds: g.seconds, intervalMs: g.intervalMs, seed: g.seed, engine: g.engine,
      ...(w.side === 'kernel' ? { backend: 'kvm' as const } : {}),
      ...(w.side === 'calibrated' && costs ? { faultCostNs: costs.faultCostNs, resetCostNs: costs.resetCostNs } : {}),
    },
  })));
}

export async function sweepRing(o: RingSweepOptions = {}): Promise<RingSweepResult> {
  const g = ringSweepGrid(o);
  const machine = machineInfo();
  const caches = dataCaches(machine.caches);
  const plan = ringSweepPlan(g);
  const specsWith = (c: KernelCosts | undefined) => ringSweepPoints(g, plan, c);
  // Every point's options are refused here, before the calibration spends seconds on /dev/kvm.
  checkPoints(specsWith(g.costs ?? { faultCostNs: 0, resetCostNs: 0 }), g.trials);
  const costs = await sweepCosts(g, o.signal);
  // Interrupted during the calibration: the calibrated points would run uncalibrated, so none runs.
  const specs = g.sides.includes('calibrated') && !costs ? [] : specsWith(costs);
  const run = await runPoints(specs, { trials: g.trials, ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  let next = 0;
  const workloads = (specs.length ? plan : []).map(({ w, sizes }): RingWorkloadResult => {
    const points = sizes
      .map((entries) => ({ ringEntries: entries, ringBytes: ringBytes(entries, w.vcpus), outcome: run.points[next++]! }))
      .filter((p) => p.outcome.trials.length > 0);
    return { label: seriesLabel(w, g.sides), workload: w, points, analysis: analyse(points, w, caches, sizes) };
  }).filter((w) => w.points.length > 0);
  return {
    kind: 'ring-sweep',
    date: new Date().toISOString(),
    machine,
    caches,
    method: {
      strategy: ring.name, sides: g.sides, ...(costs ? { costs } : {}), grid: g.grid, sizes: g.sizes, trials: g.trials, secondsPerTrial: g.seconds, intervalMs: g.intervalMs, seed: g.seed, engine: g.engine,
      order: 'trials interleaved: every point\'s first trial, then every point\'s second, ...; trial t of every point uses seed + t',
      knee: `Kneedle on median throughput against log2(ring size), up to the highest median; flat when every median is within ${FLAT_TOLERANCE * 100}% of the top`,
      best: `the smallest ring whose median throughput is within ${BEST_TOLERANCE * 100}% of the highest (or within two MADs of the highest point's trials, if more) and whose stall share is within ${STALL_TOLERANCE * 100} points of the least-stalling such ring`,
    },
    workloads,
    errors: modelErrors(workloads.map((w) => ({
      side: w.workload.side, workload: workloadLabel(w.workload), best: w.analysis.best?.entries,
      points: w.points.map((p) => ({ ringEntries: p.ringEntries, summary: p.outcome.summary })),
    }))),
    interrupted: run.interrupted || o.signal?.aborted === true,
  };
}

const median = (p: RingPoint, k: 'writesPerSecond' | 'stallShare' | 'fullExitsPerSecond') => p.outcome.summary[k].median;

function analyse(points: readonly RingPoint[], w: RingWorkload, caches: readonly CacheLevel[], planned: readonly number[]): RingAnalysis {
  const crossings = caches.map((c) => {
    const entries = crossingEntries(c, w.vcpus);
    return { cache: c.name, label: c.label, entries, inRange: entries > planned[0]! && entries < planned.at(-1)! };
  });
  const measured = points.filter((p) => Number.isFinite(median(p, 'writesPerSecond')));
  const curve = measured.map((p) => ({ x: p.ringEntries, y: median(p, 'writesPerSecond'), mad: p.outcome.summary.writesPerSecond.mad, stall: median(p, 'stallShare') }));
  const found = curve.length ? findKnee(curve) : ({ kind: 'flat' } as const);
  const step = gridStep(measured.map((p) => p.ringEntries));
  const knee = found.kind === 'knee' ? withCache(found, measured[found.index]!, caches, step) : found;
  const pick = curve.length ? bestIndex(curve) : undefined;
  const best = pick ? { entries: measured[pick.index]!.ringEntries, bytes: measured[pick.index]!.ringBytes, why: bestWhy(measured, pick.index, pick.tolerance, w, caches) } : undefined;
  const cacheEffects = effects(measured, caches, crossings);
  return {
    knee, best, crossings, cacheEffects,
    verdicts: { throughput: throughputVerdict(knee, best, measured, curve, step, found.kind === 'knee' ? found.index : -1), stall: stallVerdict(measured), perEntry: perEntryVerdict(cacheEffects, measured, caches, w) },
  };
}

/** The grid's ratio between neighbouring sizes (2 for the full sweep, 4 for the quick one). */
function gridStep(sizes: readonly number[]): number {
  const ratios = sizes.slice(1).map((s, i) => s / sizes[i]!).sort((a, b) => a - b);
  return ratios[Math.floor(ratios.length / 2)] ?? 2;
}

/**
 * A knee measured on a grid is known to within one grid step either way; a cache boundary
 * inside that window could be its cause, one outside it cannot.
 */
function withCache(k: { kind: 'knee'; index: number }, p: RingPoint, caches: readonly CacheLevel[], step: number): RingAnalysis['knee'] {
  const near = [...caches].sort((a, b) => Math.abs(Math.log2(p.ringBytes / a.bytes)) - Math.abs(Math.log2(p.ringBytes / b.bytes)))[0];
  const at = near && p.ringBytes / step < near.bytes && near.bytes < p.ringBytes * step ? near.name : undefined;
  return { ...k, entries: p.ringEntries, bytes: p.ringBytes, ...(near ? { nearestCache: near.name } : {}), ...(at ? { atCache: at } : {}) };
}

function where(bytes: number, caches: readonly CacheLevel[]): string {
  const inside = caches.find((c) => bytes <= c.bytes);
  const past = [...caches].reverse().find((c) => bytes > c.bytes);
  if (inside && past) return `past ${past.label}, inside ${inside.label}`;
  if (inside) return `inside ${inside.label}`;
  return past ? `past ${past.label}` : 'cache sizes unknown';
}

function ringsOf(p: RingPoint, w: RingWorkload): string {
  return `${sizeLabel(p.ringBytes)} of rings for ${w.vcpus} vCPU${w.vcpus > 1 ? 's' : ''}`;
}

function bestWhy(points: readonly RingPoint[], i: number, tolerance: number, w: RingWorkload, caches: readonly CacheLevel[]): string {
  const p = points[i]!;
  const tops = points.map((q) => median(q, 'writesPerSecond'));
  const top = Math.max(...tops);
  const topAt = points[tops.indexOf(top)]!;
  const noise = tolerance > BEST_TOLERANCE ? `the noise (two MADs of the top point's trials, ${percent(tolerance)})` : percent(BEST_TOLERANCE);
  const calmer = points.filter((q) => q.ringEntries < p.ringEntries && median(q, 'writesPerSecond') >= top * (1 - tolerance));
  const more = p === topAt
    ? 'the highest median throughput of the sweep'
    : `${percent(median(p, 'writesPerSecond') / top)} of the top (${si(top)} writes/s at ${topAt.ringEntries}), within ${noise}${calmer.length ? `, and it stalls less than the smaller rings that are as fast (${calmer.map((q) => `${q.ringEntries}: ${percent(median(q, 'stallShare'))}`).join(', ')})` : ', and smaller'}`;
  return `${p.ringEntries} entries: ${si(median(p, 'writesPerSecond'))} writes/s, ${more}; ${si(median(p, 'fullExitsPerSecond'))} full exits/s, vCPUs stalled ${percent(median(p, 'stallShare'))} of their time; ${ringsOf(p, w)} (${where(p.ringBytes, caches)})`;
}

function throughputVerdict(knee: RingAnalysis['knee'], best: RingAnalysis['best'], points: readonly RingPoint[], curve: readonly { y: number }[], step: number, at: number): string {
  if (!points.length) return 'no point finished';
  const lo = Math.min(...curve.map((c) => c.y));
  const hi = Math.max(...curve.map((c) => c.y));
  const bestText = best ? `Best: ${best.why}.` : '';
  switch (knee.kind) {
    case 'flat':
      return `Flat: every ring size within ${percent(FLAT_TOLERANCE)} of the others (${si(lo)} to ${si(hi)} writes/s): the rings rarely fill for this workload, so their size does not matter. ${bestText}`;
    case 'falling':
      return `Throughput falls as the ring grows (${si(hi)} writes/s at the smallest, ${si(curve.at(-1)!.y)} at the largest). ${bestText}`;
    case 'rising':
      return `No knee yet: throughput still climbs at the largest ring (${si(lo)} to ${si(hi)} writes/s); a bigger ring than KVM allows would still pay. ${bestText}`;
    default: {
      const cache = knee.atCache
        ? `within one grid step (${times(step)}) of the ${knee.atCache} boundary`
        : `not at a cache boundary (nearest: ${knee.nearestCache ?? 'unknown'}, more than ${times(step)} away from these rings)`;
      return `Knee at ${knee.entries} entries (${sizeLabel(knee.bytes!)} of rings), ${cache}.${exitsAtKnee(points, at)} ${bestText}`;
    }
  }
}

/**
 * A knee can have a plainer cause than the cache: the ring becomes big enough to hold what the
 * guest dirties between reaps, and full exits stop. Say so when the exits fall steeply there.
 */
function exitsAtKnee(points: readonly RingPoint[], at: number): string {
  if (at < 1) return '';
  const before = median(points[at - 1]!, 'fullExitsPerSecond');
  const there = median(points[at]!, 'fullExitsPerSecond');
  if (!(before > 0) || there > before / 5) return '';
  return ` Full exits fall from ${si(before)}/s to ${si(there)}/s there: the rings start holding what the guest dirties between reaps, which explains the knee without the cache.`;
}

function stallVerdict(points: readonly RingPoint[]): string {
  if (!points.length) return 'no point finished';
  const first = points[0]!;
  const last = points.at(-1)!;
  const s0 = median(first, 'stallShare');
  const s1 = median(last, 'stallShare');
  const e0 = median(first, 'fullExitsPerSecond');
  const e1 = median(last, 'fullExitsPerSecond');
  return `vCPUs stalled ${percent(s0)} of their running time at ${first.ringEntries} entries (${si(e0)} full exits/s) and ${percent(s1)} at ${last.ringEntries} (${si(e1)} full exits/s): ${s0 > s1 * 1.5 ? 'a bigger ring buys fewer, longer pauses' : 'ring size hardly changes the stall'}.`;
}

/** Median (harvest + reset) ns per entry of the points inside and beyond each cache the rings cross within the sweep. */
function effects(points: readonly RingPoint[], caches: readonly CacheLevel[], crossings: readonly CacheCrossing[]): CacheEffect[] {
  const cost = (p: RingPoint) => p.outcome.summary.harvestNsPerEntry.median + p.outcome.summary.resetNsPerEntry.median;
  const solid = points.filter((p) => p.outcome.trials.reduce((a, t) => a + t.metrics.entriesHarvested, 0) >= MIN_ENTRIES_FOR_COST && Number.isFinite(cost(p)));
  const out: CacheEffect[] = [];
  for (const c of caches) {
    if (!crossings.find((x) => x.cache === c.name)?.inRange) continue;
    const inside = solid.filter((p) => p.ringBytes <= c.bytes).map(cost);
    const beyond = solid.filter((p) => p.ringBytes > c.bytes).map(cost);
    if (!inside.length || !beyond.length) continue;
    const [a, b] = [mid(inside), mid(beyond)];
    out.push({ cache: c.name, label: c.label, insideNs: a, beyondNs: b, ratio: b / a });
  }
  return out;
}

function mid(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Tsirkin's claim, tested: does the collector's cost per entry rise once the rings outgrow a cache? */
function perEntryVerdict(fx: readonly CacheEffect[], points: readonly RingPoint[], caches: readonly CacheLevel[], w: RingWorkload): string {
  if (!fx.length) {
    const biggest = points.at(-1);
    return biggest
      ? `No cache boundary with enough entries on both sides: the largest rings (${ringsOf(biggest, w)}) are ${where(biggest.ringBytes, caches)}.`
      : 'no point finished';
  }
  return fx.map((e) => {
    const verdict = e.ratio >= 1.25 ? 'rises past it' : e.ratio <= 0.8 ? 'falls past it (bigger batches amortise more)' : 'does not change measurably past it';
    return `Harvest + reset per entry: ${e.insideNs.toFixed(1)} ns with the rings inside ${e.label}, ${e.beyondNs.toFixed(1)} ns beyond (${times(e.ratio)}): the cost ${verdict}.`;
  }).join(' ');
}
