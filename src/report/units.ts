/**
 * Durations in the unit that suits each value (ns, µs, ms, s), so a table never shows
 * `0.00085 ±0.0000010 ms`: every cell picks its own unit and keeps three significant digits.
 */
const SCALES = [['s', 1000], ['ms', 1], ['µs', 1e-3], ['ns', 1e-6]] as const;

/** The unit for a duration of `ms` milliseconds: the largest in which it is at least 1. */
function scaleOf(ms: number): (typeof SCALES)[number] {
  const a = Math.abs(ms);
  return SCALES.find(([, size]) => a >= size * 0.9995) ?? SCALES[SCALES.length - 1]!;
}

/** Three significant digits, no exponent: 850, 85.0, 8.50, 0.850. */
function digits(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 99.95) return x.toFixed(0);
  if (a >= 9.995) return x.toFixed(1);
  if (a >= 0.9995) return x.toFixed(2);
  return x.toPrecision(2);
}

/** `ms` milliseconds as "850 ns", "12.5 µs", "3.40 ms" or "1.20 s". */
export function formatDuration(ms: number): string {
  const [unit, size] = scaleOf(ms);
  return `${digits(ms / size)} ${unit}`;
}

/** Two significant digits, enough for a spread: 12, 1.2, 0.12. */
function spreadDigits(x: number): string {
  const a = Math.abs(x);
  if (!Number.isFinite(x) || a === 0) return String(x);
  return a >= 9.95 ? x.toFixed(0) : a >= 0.995 ? x.toFixed(1) : x.toPrecision(2);
}

/** A median and its spread (both in ms), in the median's unit: "850 ±12 ns". */
export function formatSpread(medianMs: number, spreadMs: number): string {
  const [unit, size] = scaleOf(medianMs);
  return `${digits(medianMs / size)} ±${spreadDigits(spreadMs / size)} ${unit}`;
}
