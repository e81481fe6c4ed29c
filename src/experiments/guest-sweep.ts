/**
 * `sweep guest`: what one sync costs the VMM as the guest grows from 1 GiB to 16 TiB, tracking
 * only, under each tracking mode, (a) at a fixed number of dirty pages and (b) at a fixed
 * dirty fraction. Growth laws are fitted per mode (ring: O(dirty), bitmap: O(memory)), and the
 * crossover is the guest size where the ring starts to win for the given dirty count.
 *
 * 16 TiB does not fit one memslot (KVM_MEM_MAX_NR_PAGES is 2^31 - 1 pages, just under 8 TiB), so
 * a guest is split the way QEMU splits RAM: memslots of at most 8191 GiB (the largest whole
 * number of GiB under the limit), the last one taking the rest. 16 TiB is three slots
 * (8191 + 8191 + 2 GiB); a sync collects every slot. The sync is measured single-threaded
 * with the vCPUs idle, on the same verbs and mode functions the collector thread runs: a
 * threaded run cannot hold the dirty count fixed, and cannot span more than one memslot.
 */
import { machineInfo, type MachineInfo } from '../bench/machine.ts';
import { summarize, type Summary } from '../bench/stats.ts';
import { ENGINE_KINDS, type EngineKind } from '../engine/exports.ts';
import { ABI, KVM_MEM_MAX_NR_PAGES } from '../layout.ts';
import { formatSize, parseSize } from '../run/size.ts';
import { bitmap } from '../tracking/bitmap.ts';
import { clearLog } from '../tracking/clear-log.ts';
import { trackingMode, type TrackingMode } from '../tracking/index.ts';
import { ring } from '../tracking/ring.ts';
import { requireBoolean, requireInteger, requireOneOf, requirePositive } from '../validate.ts';
import { crossing, fitPowerLaw, type PowerLaw } from './fit.ts';
import { progressClock, type ProgressListener } from './progress.ts';
import { measureSyncCost, type SyncCostTrial } from './sync-cost.ts';
import { count, ms, times } from './words.ts';

const GiB = 2 ** 30;
const TiB = 2 ** 40;
/** Pages of the largest memslot used: 8191 GiB, the largest whole number of GiB under KVM's 2^31 - 1 pages. */
export const SLOT_MAX_PAGES = Math.floor(KVM_MEM_MAX_NR_PAGES / (GiB / ABI.PAGE_SIZE)) * (GiB / ABI.PAGE_SIZE);
/** dirtylog's arena is Wasm32 memory: six bitmaps a slot must fit 4 GiB, which 16 TiB (3 GiB of bitmaps) does. */
const MAX_GUEST = 16 * TiB;

export type Regime = 'fixed-count' | 'fixed-fraction';

export interface GuestSweepOptions {
  readonly quick?: boolean;
  /** Guest sizes in bytes (or as typed: '1GiB', '16TiB'). @default 1 GiB to 16 TiB by powers of two; quick: 1 GiB, 32 GiB, 1 TiB, 16 TiB */
  readonly sizes?: readonly (string | number)[];
  /** Tracking modes by name. @default ring, bitmap, clear-log */
  readonly strategies?: readonly string[];
  /** Regime (a): dirty pages per sync, whatever the guest size. @default 16384 (64 MiB) */
  readonly dirtyPages?: number;
  /** Regime (b): the share of the guest dirty per sync. @default 0.0001 (0.01 %) */
  readonly dirtyFraction?: number;
  /** @default 5; quick: 3 */
  readonly trials?: number;
  /** vCPUs whose rings take the writes. @default 2 */
  readonly vcpus?: number;
  /** Ring entries per vCPU: QEMU's usual 4096. @default 4096 */
  readonly ringEntries?: number;
  readonly seed?: number;
  readonly engine?: EngineKind;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface RegimeMeasure {
  readonly regime: Regime;
  readonly dirtyPages: number;
  readonly syncMs: Summary;
  /** Every trial's sync time, in ms. */
  readonly samples: readonly number[];
  /** Reaps on full rings during the writes (part of the sync's cost). */
  readonly reaps: number;
  /** Every trial's VMM bitmaps held exactly the pages written. */
  readonly collectedAll: boolean;
}

export interface GuestPoint {
  readonly guestBytes: number;
  readonly strategy: string;
  readonly cost: TrackingMode['cost'];
  readonly slotPages: readonly number[];
  readonly setupMs: number;
  /** The first sync after logging starts (INITIALLY_SET: every page reported and CLEARed). */
  readonly firstSyncMs: number;
  readonly regimes: readonly RegimeMeasure[];
}

export interface GuestFailure { readonly guestBytes: number; readonly strategy: string; readonly message: string }

export interface ModeFit { readonly strategy: string; readonly cost: TrackingMode['cost']; readonly law: PowerLaw | undefined }

export interface Crossover {
  /** The mode that costs per dirty page (the ring) and the one that costs per guest page. */
  readonly ring: string;
  readonly bitmap: string;
  readonly dirtyPages: number;
  /**
   * The guest size above which the ring is cheaper: between the two measured sizes where the
   * sweep saw it flip (interpolated on log-log axes), or, when it saw no flip, where the fitted
   * laws cross. Undefined when neither says.
   */
  readonly guestBytes: number | undefined;
  readonly from: 'measured' | 'fitted' | 'none';
  /** The measured sizes either side of the flip, when the sweep saw it happen. */
  readonly measured: { readonly bitmapCheaperAt: number; readonly ringCheaperAt: number } | undefined;
  /** Where the fitted power laws cross (they bend less than the costs do: a fixed cost per sync weighs on small guests). */
  readonly fittedBytes: number | undefined;
  /** The crossing lies outside the sizes swept. */
  readonly extrapolated: boolean;
}

export interface DensityCrossover {
  readonly ring: string;
  readonly bitmap: string;
  /** Dirty share per sync at which the ring would cost as much as the bitmap (ring cost taken as linear in dirty pages). */
  readonly fraction: number;
  readonly atGuestBytes: number;
}

export interface RegimeAnalysis {
  readonly regime: Regime;
  readonly fits: readonly ModeFit[];
  readonly crossovers: readonly Crossover[];
  readonly verdict: string;
}

export interface GuestSweepResult {
  readonly kind: 'guest-sweep';
  readonly date: string;
  readonly machine: MachineInfo;
  readonly method: {
    readonly grid: 'quick' | 'full' | 'custom';
    readonly sizes: readonly number[];
    readonly strategies: readonly { readonly name: string; readonly cost: TrackingMode['cost']; readonly summary: string }[];
    readonly dirtyPages: number;
    readonly dirtyFraction: number;
    readonly trials: number;
    readonly vcpus: number;
    readonly ringEntries: number;
    readonly seed: number;
    readonly engine: EngineKind;
    readonly slotMaxBytes: number;
    readonly measured: string;
    readonly fit: string;
  };
  readonly points: readonly GuestPoint[];
  readonly failures: readonly GuestFailure[];
  readonly analysis: readonly RegimeAnalysis[];
  /** Ring against the first per-guest-page mode (the bitmap), at the fixed dirty count: where the ring starts to win. */
  readonly crossover: Crossover | undefined;
  readonly densityCrossover: DensityCrossover | undefined;
  readonly interrupted: boolean;
}

const QUICK_SIZES = [GiB, 32 * GiB, TiB, 16 * TiB];
const FULL_SIZES = Array.from({ length: 15 }, (_, i) => GiB * 2 ** i);

/** Memslots for a guest: KVM's limit per slot, the rest in the last one. */
export function splitIntoSlots(guestBytes: number): number[] {
  const out: number[] = [];
  for (let left = guestBytes / ABI.PAGE_SIZE; left > 0; left -= SLOT_MAX_PAGES) out.push(Math.min(SLOT_MAX_PAGES, left));
  return out;
}

export function guestSweepGrid(o: GuestSweepOptions) {
  const quick = requireBoolean('quick', o.quick, false);
  const sizes = o.sizes === undefined ? (quick ? QUICK_SIZES : FULL_SIZES) : o.sizes.map((s, i) => {
    const bytes = parseSize(`sizes[${i}]`, s);
    if (bytes % ABI.PAGE_SIZE !== 0) throw new RangeError(`sizes[${i}] must be a whole number of 4 KiB pages, got ${bytes} bytes`);
    if (bytes > MAX_GUEST) throw new RangeError(`sizes[${i}] must be at most 16TiB (its bitmaps must fit dirtylog's 4 GiB Wasm memory), got ${formatSize(bytes)}`);
    return bytes;
  });
  if (!sizes.length) throw new TypeError('sizes must be a non-empty list');
  const modes = (o.strategies ?? [ring.name, bitmap.name, clearLog.name]).map((s, i) => trackingMode(s, `strategies[${i}]`));
  const dirtyFraction = requirePositive('dirtyFraction', o.dirtyFraction ?? 1e-4, 0.01, 'at most 1% (0.01): a larger share means millions of writes per trial on big guests');
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    modes: [...new Set(modes)],
    dirtyPages: requireInteger('dirtyPages', o.dirtyPages ?? 16384, 1, 2 ** 22, 'at most 4 Mi pages a sync'),
    dirtyFraction,
    trials: requireInteger('trials', o.trials ?? (quick ? 3 : 5), 1, 100),
    vcpus: requireInteger('vcpus', o.vcpus ?? 2, 1, 64),
    ringEntries: requireInteger('ringEntries', o.ringEntries ?? 4096, 256, 65536),
    seed: requireInteger('seed', o.seed ?? 1, 0, 2 ** 31),
    engine: requireOneOf('engine', o.engine, ENGINE_KINDS, 'wasm'),
    grid: gridName(o.sizes !== undefined || o.strategies !== undefined, quick),
  };
}

function gridName(custom: boolean, quick: boolean): 'quick' | 'full' | 'custom' {
  return custom ? 'custom' : quick ? 'quick' : 'full';
}

export async function sweepGuest(o: GuestSweepOptions = {}): Promise<GuestSweepResult> {
  const g = guestSweepGrid(o);
  const jobs = g.sizes.flatMap((bytes) => g.modes.map((mode) => ({ bytes, mode })));
  // Measured here: about 0.6 s for a small guest (the thread and its engine starting), plus 0.25 s per TiB.
  const clock = progressClock(jobs.map((j) => 0.6 + (0.25 * j.bytes) / TiB));
  const points: GuestPoint[] = [];
  const failures: GuestFailure[] = [];
  const regimeOf = (bytes: number) => [
    { regime: 'fixed-count' as const, dirtyPages: Math.min(g.dirtyPages, bytes / ABI.PAGE_SIZE) },
    { regime: 'fixed-fraction' as const, dirtyPages: Math.max(1, Math.round((bytes / ABI.PAGE_SIZE) * g.dirtyFraction)) },
  ];
  for (const [k, { bytes, mode }] of jobs.entries()) {
    if (o.signal?.aborted) break;
    o.onProgress?.(clock.starting(k, `${formatSize(bytes)} · ${mode.name}`));
    const regimes = regimeOf(bytes);
    const slotPages = splitIntoSlots(bytes);
    const out = await measureSyncCost(
      { mode: mode.name, slotPages, vcpus: g.vcpus, ringEntries: g.ringEntries, engine: g.engine, regimes, trials: g.trials, seed: g.seed },
      { ...(o.signal ? { signal: o.signal } : {}), budgetMs: 600_000 },
    );
    clock.finished(k);
    if (out.kind === 'aborted') break;
    if (out.kind === 'failed') {
      failures.push({ guestBytes: bytes, strategy: mode.name, message: out.message });
      continue;
    }
    points.push({
      guestBytes: bytes, strategy: mode.name, cost: mode.cost, slotPages, setupMs: out.setupMs, firstSyncMs: out.firstSyncMs,
      regimes: regimes.map((r, i) => measure(r.regime, r.dirtyPages, out.trials.filter((t) => t.regime === i))),
    });
  }
  const analysis = (['fixed-count', 'fixed-fraction'] as const).map((r) => analyseRegime(r, points, g.modes));
  const fixed = analysis[0]!;
  return {
    kind: 'guest-sweep',
    date: new Date().toISOString(),
    machine: machineInfo(),
    method: {
      grid: g.grid, sizes: g.sizes, strategies: g.modes.map((m) => ({ name: m.name, cost: m.cost, summary: m.summary })),
      dirtyPages: g.dirtyPages, dirtyFraction: g.dirtyFraction, trials: g.trials, vcpus: g.vcpus, ringEntries: g.ringEntries,
      seed: g.seed, engine: g.engine, slotMaxBytes: SLOT_MAX_PAGES * ABI.PAGE_SIZE,
      measured: 'after one untimed warm-up trial, per sync: the VMM\'s time in the mode\'s reaps on full rings during the writes plus one sync (the collector\'s own functions, single-threaded, vCPUs idle); writes untimed; distinct pages spread over every memslot, in random order; the VMM\'s bitmaps checked to hold exactly the pages written',
      fit: 'least squares of log(ms) on log(GiB) over the per-size medians: ms = coefficient x GiB^exponent; the crossover is interpolated (log-log) between the two measured sizes where the ring overtakes the bitmap, or taken from the fitted laws when the sweep saw no flip',
    },
    points,
    failures,
    analysis,
    crossover: fixed.crossovers[0],
    densityCrossover: densityCrossover(points, g.modes, g.dirtyFraction),
    interrupted: o.signal?.aborted === true,
  };
}

function measure(regime: Regime, dirtyPages: number, trials: readonly SyncCostTrial[]): RegimeMeasure {
  const samples = trials.map((t) => t.syncMs);
  const reaps = [...trials.map((t) => t.reaps)].sort((a, b) => a - b)[Math.floor(trials.length / 2)] ?? 0;
  return { regime, dirtyPages, syncMs: summarize(samples), samples, reaps, collectedAll: trials.every((t) => t.collected === t.dirtyPages) };
}

const costAt = (p: GuestPoint, regime: Regime) => p.regimes.find((r) => r.regime === regime)!.syncMs.median;

function analyseRegime(regime: Regime, points: readonly GuestPoint[], modes: readonly TrackingMode[]): RegimeAnalysis {
  const fits: ModeFit[] = modes.map((m) => {
    const mine = points.filter((p) => p.strategy === m.name);
    return { strategy: m.name, cost: m.cost, law: fitPowerLaw(mine.map((p) => p.guestBytes / GiB), mine.map((p) => costAt(p, regime))) };
  });
  const rings = fits.filter((f) => f.cost === 'per-dirty-page');
  const bitmaps = fits.filter((f) => f.cost === 'per-guest-page');
  const crossovers = regime === 'fixed-count' ? rings.flatMap((r) => bitmaps.map((b) => crossoverOf(r, b, points, regime))) : [];
  return { regime, fits, crossovers, verdict: regimeVerdict(regime, fits, crossovers, points) };
}

export function crossoverOf(r: ModeFit, b: ModeFit, points: readonly GuestPoint[], regime: Regime): Crossover {
  const sizes = [...new Set(points.map((p) => p.guestBytes))].sort((x, y) => x - y);
  const cost = (mode: string, bytes: number) => {
    const p = points.find((q) => q.strategy === mode && q.guestBytes === bytes);
    return p ? costAt(p, regime) : undefined;
  };
  // log(bitmap / ring): negative while the bitmap is cheaper.
  const gap = (bytes: number) => {
    const [rc, bc] = [cost(r.strategy, bytes), cost(b.strategy, bytes)];
    return rc && bc ? Math.log(bc / rc) : undefined;
  };
  let measured: Crossover['measured'];
  let interpolated: number | undefined;
  // The last flip from bitmap-cheaper to ring-cheaper: beyond it the ring stays ahead.
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [lo, hi] = [sizes[i]!, sizes[i + 1]!];
    const [gl, gh] = [gap(lo), gap(hi)];
    if (gl !== undefined && gh !== undefined && gl <= 0 && gh > 0) {
      measured = { bitmapCheaperAt: lo, ringCheaperAt: hi };
      interpolated = Math.exp(Math.log(lo) + ((Math.log(hi) - Math.log(lo)) * -gl) / (gh - gl));
    }
  }
  const x = r.law && b.law ? crossing(r.law, b.law) : undefined;
  const fittedBytes = x === undefined ? undefined : x * GiB;
  const guestBytes = interpolated ?? fittedBytes;
  const dirtyPages = points.find((p) => p.strategy === r.strategy)?.regimes.find((m) => m.regime === regime)?.dirtyPages ?? 0;
  return {
    ring: r.strategy, bitmap: b.strategy, dirtyPages, guestBytes, from: interpolated !== undefined ? 'measured' : fittedBytes !== undefined ? 'fitted' : 'none',
    measured, fittedBytes,
    extrapolated: guestBytes === undefined || !sizes.length || guestBytes < sizes[0]! || guestBytes > sizes.at(-1)!,
  };
}

/** A guest size as a person reads it: "96 GiB", "1.5 TiB". */
export function guestLabel(bytes: number): string {
  for (const [u, v] of [['TiB', TiB], ['GiB', GiB], ['MiB', 2 ** 20]] as const) {
    if (bytes >= v) {
      const x = bytes / v;
      return `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(0) : Number(x.toPrecision(2))} ${u}`;
    }
  }
  return `${Math.round(bytes / 1024)} KiB`;
}

function lawText(f: ModeFit): string {
  return f.law ? `${f.strategy} ~ GiB^${f.law.exponent.toFixed(2)}` : `${f.strategy}: too few points to fit`;
}

function regimeVerdict(regime: Regime, fits: readonly ModeFit[], crossovers: readonly Crossover[], points: readonly GuestPoint[]): string {
  if (!points.length) return 'no point finished';
  const laws = fits.map(lawText).join(', ');
  if (regime === 'fixed-count') {
    const c = crossovers[0];
    const dirty = c?.dirtyPages ?? 0;
    if (!c) return `At a fixed dirty count: ${laws}.`;
    const where = c.guestBytes === undefined
      ? `the sweep saw no flip and the fitted laws do not cross: ${c.bitmap} never grows faster than ${c.ring}`
      : `${c.ring} starts to win at about ${guestLabel(c.guestBytes)}${c.extrapolated ? ' (extrapolated beyond the sizes swept)' : ''}`;
    const fitted = c.fittedBytes === undefined ? 'the fitted laws do not cross' : `the fitted laws cross at ${guestLabel(c.fittedBytes)}`;
    const seen = c.measured ? ` (measured: ${c.bitmap} cheaper at ${guestLabel(c.measured.bitmapCheaperAt)}, ${c.ring} cheaper at ${guestLabel(c.measured.ringCheaperAt)}; ${fitted})` : c.guestBytes !== undefined ? ' (from the fitted laws: the sweep saw no flip)' : '';
    return `With ${count(dirty)} dirty pages per sync, ${laws}: ${where}${seen}.`;
  }
  const big = Math.max(...points.map((p) => p.guestBytes));
  const atBig = points.filter((p) => p.guestBytes === big);
  const cheapest = [...atBig].sort((a, b) => costAt(a, regime) - costAt(b, regime));
  const [first, second] = cheapest;
  const gap = first && second ? ` At ${guestLabel(big)}, ${first.strategy} costs ${ms(costAt(first, regime))} per sync, ${times(costAt(second, regime) / costAt(first, regime))} less than ${second.strategy}.` : '';
  return `At a fixed dirty fraction every mode grows with the guest (${laws}): the cheapest stays the cheapest at every size.${gap}`;
}

/**
 * At the largest guest measured, the dirty share at which the ring's cost (scaled linearly
 * from the fixed-fraction measurement) would equal the bitmap's.
 */
function densityCrossover(points: readonly GuestPoint[], modes: readonly TrackingMode[], fraction: number): DensityCrossover | undefined {
  const r = modes.find((m) => m.cost === 'per-dirty-page');
  const b = modes.find((m) => m.cost === 'per-guest-page');
  if (!r || !b) return undefined;
  const sizes = points.filter((p) => p.strategy === r.name && points.some((q) => q.strategy === b.name && q.guestBytes === p.guestBytes)).map((p) => p.guestBytes);
  if (!sizes.length) return undefined;
  const big = Math.max(...sizes);
  const rc = costAt(points.find((p) => p.strategy === r.name && p.guestBytes === big)!, 'fixed-fraction');
  const bc = costAt(points.find((p) => p.strategy === b.name && p.guestBytes === big)!, 'fixed-fraction');
  return { ring: r.name, bitmap: b.name, fraction: Math.min(1, fraction * (bc / rc)), atGuestBytes: big };
}
