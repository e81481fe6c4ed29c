/**
 * Numbers as the experiments' verdicts spell them. Verdicts are sentences kept in the results
 * (JSON readers get them too), so they are written here, below the report, with no units
 * module of their own beyond these few.
 */
export const count = (x: number): string => Math.round(x).toLocaleString('en-US');

/** 41.2 M, 812 k, 95: three significant digits with an SI prefix. */
export function si(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toPrecision(3)} G`;
  if (a >= 1e6) return `${(x / 1e6).toPrecision(3)} M`;
  if (a >= 1e3) return `${(x / 1e3).toPrecision(3)} k`;
  return a >= 10 || a === 0 ? x.toFixed(0) : x.toPrecision(2);
}

/** A share (0 to 1) as a percentage: 62%, 3.1%, 0.04%. */
export function percent(share: number): string {
  const p = 100 * share;
  if (p === 0) return '0%';
  return `${Math.abs(p) >= 10 ? p.toFixed(0) : Math.abs(p) >= 1 ? p.toFixed(1) : p.toPrecision(1)}%`;
}

/** A ratio: 1.4x, 12x, 310x. */
export const times = (r: number): string => `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}x`;

/** A duration in milliseconds, in the unit that suits it. */
export function ms(x: number): string {
  if (x >= 1000) return `${(x / 1000).toPrecision(3)} s`;
  if (x >= 1) return `${x.toPrecision(3)} ms`;
  if (x >= 1e-3) return `${(x * 1e3).toPrecision(3)} µs`;
  return `${(x * 1e6).toPrecision(3)} ns`;
}
