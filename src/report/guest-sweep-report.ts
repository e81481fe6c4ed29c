/** A guest-size sweep as a report section (log-log charts with fitted laws and the crossover), CSV rows and a text summary. */
import { evaluate } from '../experiments/fit.ts';
import { guestLabel, type GuestPoint, type GuestSweepResult, type Regime } from '../experiments/guest-sweep.ts';
import type { Axis, LineChart, Marker, Series } from './chart.ts';
import type { CsvCell } from './csv.ts';
import { formatTable } from './engine-table.ts';
import type { ReportSection, Table } from './html.ts';
import { formatValue } from './axis.ts';

const GiB = 2 ** 30;
const GUEST_AXIS: Axis = { label: 'guest memory (log scale)', scale: 'log2', format: 'bytes' };
const COST_AXIS: Axis = { label: 'VMM time per sync (log scale)', scale: 'log10', format: 'ms' };

const regimeOf = (p: GuestPoint, r: Regime) => p.regimes.find((m) => m.regime === r)!;

function costChart(r: GuestSweepResult, regime: Regime): LineChart {
  const a = r.analysis.find((x) => x.regime === regime)!;
  const sizes = r.method.sizes;
  const measured: Series[] = r.method.strategies.map((m) => ({
    name: m.name,
    points: r.points.filter((p) => p.strategy === m.name).map((p) => {
      const s = regimeOf(p, regime).syncMs;
      return s.samples > 1 ? { x: p.guestBytes, y: s.median, lo: s.min, hi: s.max } : { x: p.guestBytes, y: s.median };
    }),
  }));
  const fits: Series[] = a.fits.flatMap((f, i) => (f.law ? [{
    name: `${f.strategy} fit: GiB^${f.law.exponent.toFixed(2)}`,
    style: 'fit' as const,
    colour: i,
    points: sizes.map((b) => ({ x: b, y: evaluate(f.law!, b / GiB) })),
  }] : []));
  const markers: Marker[] = a.crossovers.slice(0, 1).flatMap((c) => (c.guestBytes !== undefined ? [{ x: c.guestBytes, label: `crossover ≈ ${guestLabel(c.guestBytes)}: ${c.ring} cheaper above`, kind: 'crossover' as const }] : []));
  const title = regime === 'fixed-count'
    ? `Per-sync cost against guest size, ${regimeOf(r.points[0]!, regime).dirtyPages.toLocaleString('en-US')} dirty pages per sync`
    : `Per-sync cost against guest size, ${+(100 * r.method.dirtyFraction).toPrecision(3)}% of pages dirty per sync`;
  return { kind: 'line', id: `guest-${regime}`, title, x: GUEST_AXIS, y: COST_AXIS, series: [...measured, ...fits], markers, verdict: a.verdict };
}

function firstSyncChart(r: GuestSweepResult): LineChart {
  const series = r.method.strategies.map((m) => ({
    name: m.name,
    points: r.points.filter((p) => p.strategy === m.name && p.firstSyncMs > 0).map((p) => ({ x: p.guestBytes, y: p.firstSyncMs })),
  }));
  const big = r.points.filter((p) => p.guestBytes === Math.max(...r.points.map((q) => q.guestBytes)));
  const worst = [...big].sort((a, b) => b.firstSyncMs - a.firstSyncMs)[0];
  return {
    kind: 'line', id: 'guest-first-sync', title: 'The first sync after dirty logging starts', x: GUEST_AXIS, y: COST_AXIS, series,
    verdict: worst
      ? `The first sync pays for what starting the log left to it: under INITIALLY_SET the first GET reports every page of the guest and the CLEARs re-arm them all. At ${guestLabel(worst.guestBytes)} the dearest first sync is ${worst.strategy}'s, ${formatValue('ms', worst.firstSyncMs)}.`
      : 'no point finished',
  };
}

export function guestSweepSection(r: GuestSweepResult): ReportSection {
  const m = r.method;
  const charts = r.points.length ? [costChart(r, 'fixed-count'), costChart(r, 'fixed-fraction'), firstSyncChart(r)] : [];
  const d = r.densityCrossover;
  const density = d ? [`At ${guestLabel(d.atGuestBytes)}, ${d.ring} costs as much per sync as ${d.bitmap} when about ${+(100 * d.fraction).toPrecision(2)}% of the guest's pages are dirty per sync (the ring's cost scaled linearly from the ${+(100 * m.dirtyFraction).toPrecision(3)}% measurement); sparser than that, the ring wins.`] : [];
  return {
    id: 'guest-sweep',
    title: 'Guest size sweep: per-sync cost, ring against bitmaps',
    intro: `Guests of ${m.sizes.map((b) => guestLabel(b)).join(', ')} (tracking only; memslots of at most ${guestLabel(m.slotMaxBytes)}, so 16 TiB is three), under ${m.strategies.map((s) => s.name).join(', ')}; ${m.vcpus} vCPUs with ${m.ringEntries}-entry rings; ${m.trials} trials per point (median, whiskers min to max), seed ${m.seed}, ${m.engine} engine. Measured: ${m.measured}. Fit: ${m.fit}.`,
    verdicts: [...r.analysis.map((a) => a.verdict), ...density],
    charts,
    tables: [guestTable(r)],
    notes: r.failures.map((f) => `${guestLabel(f.guestBytes)} under ${f.strategy} failed: ${f.message}`),
  };
}

const HEADER = ['guest', 'strategy', 'memslots', 'dirty (a)', 'sync (a)', 'reaps (a)', 'dirty (b)', 'sync (b)', 'reaps (b)', 'first sync', 'set-up', 'pages checked'];

function rows(r: GuestSweepResult): string[][] {
  const t = (p: GuestPoint, g: Regime) => {
    const s = regimeOf(p, g).syncMs;
    return s.samples > 1 ? `${formatValue('ms', s.median)} (${formatValue('ms', s.min)}–${formatValue('ms', s.max)})` : formatValue('ms', s.median);
  };
  return r.points.map((p) => [
    guestLabel(p.guestBytes), p.strategy, String(p.slotPages.length),
    regimeOf(p, 'fixed-count').dirtyPages.toLocaleString('en-US'), t(p, 'fixed-count'), String(regimeOf(p, 'fixed-count').reaps),
    regimeOf(p, 'fixed-fraction').dirtyPages.toLocaleString('en-US'), t(p, 'fixed-fraction'), String(regimeOf(p, 'fixed-fraction').reaps),
    formatValue('ms', p.firstSyncMs), formatValue('ms', p.setupMs), p.regimes.every((x) => x.collectedAll) ? 'all collected' : 'MISSING PAGES',
  ]);
}

function guestTable(r: GuestSweepResult): Table {
  return { caption: '(a) fixed dirty count, (b) fixed dirty fraction: median VMM time per sync (min–max)', header: HEADER, rows: rows(r) };
}

export function guestSweepCsv(r: GuestSweepResult): { header: string[]; rows: CsvCell[][] } {
  const header = ['guest_bytes', 'strategy', 'cost_model', 'memslots', 'regime', 'dirty_pages', 'trials', 'sync_ms_median', 'sync_ms_min', 'sync_ms_max', 'sync_ms_mad', 'reaps', 'all_collected', 'first_sync_ms', 'setup_ms'];
  const out = r.points.flatMap((p) => p.regimes.map((g) => [
    p.guestBytes, p.strategy, p.cost, p.slotPages.length, g.regime, g.dirtyPages, g.syncMs.samples, g.syncMs.median, g.syncMs.min, g.syncMs.max, g.syncMs.mad, g.reaps, g.collectedAll, p.firstSyncMs, p.setupMs,
  ]));
  return { header, rows: out };
}

export function guestSweepText(r: GuestSweepResult): string {
  const c = r.crossover;
  const cross = c ? `crossover (${c.ring} against ${c.bitmap}, ${c.dirtyPages.toLocaleString('en-US')} dirty pages): ${c.guestBytes === undefined ? 'none' : `about ${guestLabel(c.guestBytes)}${c.extrapolated ? ' (extrapolated)' : ''}`}` : 'crossover: none computed';
  return ['dirtylog sweep guest', '', formatTable(HEADER, rows(r)), '', ...r.analysis.map((a) => `  ${a.verdict}`), `  ${cross}`, ...r.failures.map((f) => `  FAILED: ${guestLabel(f.guestBytes)} under ${f.strategy}: ${f.message}`), ''].join('\n');
}
