/**
 * Scales and ticks for the hand-made SVG charts: linear axes get 1-2-5 ticks, log2 axes powers
 * of two (ring sizes, guest sizes), log10 axes powers of ten. Tick labels read in the axis's
 * own terms: "4096" entries, "16 TiB", "850 µs", "62%", "12 M".
 */
import type { Axis, AxisFormat } from './chart.ts';
import { formatDuration } from './units.ts';

export interface Scale {
  /** Value to pixel. */
  readonly at: (v: number) => number;
  readonly ticks: readonly number[];
  readonly domain: readonly [number, number];
}

/** A value a scale can place (log axes cannot place 0 or less). */
export const placeable = (axis: Axis, v: number): boolean => Number.isFinite(v) && (axis.scale === 'linear' || v > 0);

export function makeScale(axis: Axis, values: readonly number[], range: readonly [number, number]): Scale {
  const vs = values.filter((v) => placeable(axis, v));
  let lo = vs.length ? Math.min(...vs) : axis.scale === 'linear' ? 0 : 1;
  let hi = vs.length ? Math.max(...vs) : lo * 10 + 1;
  if (axis.scale === 'linear') {
    if (axis.zero !== false) lo = Math.min(0, lo);
    if (hi === lo) hi = lo + 1;
    // Iterations and ring entries are whole numbers: a tick between two of them would repeat a label.
    const whole = axis.format === 'iteration' || axis.format === 'entries';
    // Byte axes step in powers of two (4 MiB, 8 MiB), so ticks read as whole binary sizes.
    const step = Math.max(axis.format === 'bytes' ? 2 ** Math.ceil(Math.log2(Math.max(1, (hi - lo) / 5))) : niceStep((hi - lo) / 5), whole ? 1 : 0);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    const ticks: number[] = [];
    for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Math.abs(t) < step / 1e9 ? 0 : t);
    return linear(lo, hi, range, ticks);
  }
  const base = axis.scale === 'log2' ? 2 : 10;
  const lg = (v: number) => Math.log(v) / Math.log(base);
  // Whole powers around the data, a little margin where the data sits on a power.
  let a = Math.floor(lg(lo) + 1e-9);
  let b = Math.ceil(lg(hi) - 1e-9);
  if (a === b) [a, b] = [a - 1, b + 1];
  const every = Math.max(1, Math.ceil((b - a) / 9));
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) if ((e - a) % every === 0) ticks.push(base ** e);
  const [r0, r1] = range;
  return { at: (v) => r0 + ((lg(v) - a) / (b - a)) * (r1 - r0), ticks, domain: [base ** a, base ** b] };
}

function linear(lo: number, hi: number, [r0, r1]: readonly [number, number], ticks: number[]): Scale {
  return { at: (v) => r0 + ((v - lo) / (hi - lo)) * (r1 - r0), ticks, domain: [lo, hi] };
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

const SI = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const;

function si(v: number): string {
  for (const [size, prefix] of SI) if (Math.abs(v) >= size) return `${trim(v / size)} ${prefix}`;
  return trim(v);
}

const trim = (v: number): string => String(Number(v.toPrecision(3)));

function bytes(v: number): string {
  for (const [u, size] of [['PiB', 2 ** 50], ['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (v >= size) return `${trim(v / size)} ${u}`;
  }
  return `${trim(v)} B`;
}

export function formatValue(format: AxisFormat, v: number): string {
  switch (format) {
    case 'entries':
    case 'iteration':
      return String(Math.round(v));
    case 'bytes':
      return bytes(v);
    case 'ms':
      // A tick reads "10 ms", not "10.0 ms": trailing zeros say nothing on an axis.
      return v === 0 ? '0' : formatDuration(v).replace(/\.0+ /, ' ').replace(/(\.\d*?)0+ /, '$1 ');
    case 'share':
      return `${trim(100 * v)}%`;
    default:
      return si(v);
  }
}
