/**
 * Growth laws: cost = coefficient x size^exponent, fitted by least squares on log-log axes
 * (where a power law is a straight line). The ring's per-sync cost at a fixed dirty count
 * should come out near exponent 0 (O(dirty)), the bitmap's near 1 (O(memory)); where the two
 * fitted lines cross is the crossover.
 */
export interface PowerLaw {
  /** Cost at size 1 (in the caller's units: ms at 1 GiB for the guest sweep). */
  readonly coefficient: number;
  readonly exponent: number;
  /** Coefficient of determination on the log-log points (1 = a perfect line). */
  readonly r2: number;
  readonly points: number;
}

/** Undefined with fewer than two distinct sizes, or a non-positive value (no logarithm). */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLaw | undefined {
  const pts = xs.map((x, i) => [x, ys[i]!] as const).filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(y));
  if (new Set(pts.map(([x]) => x)).size < 2) return undefined;
  const lx = pts.map(([x]) => Math.log(x));
  const ly = pts.map(([, y]) => Math.log(y));
  const n = pts.length;
  const mx = lx.reduce((a, b) => a + b, 0) / n;
  const my = ly.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (lx[i]! - mx) * (ly[i]! - my);
    sxx += (lx[i]! - mx) ** 2;
    syy += (ly[i]! - my) ** 2;
  }
  const exponent = sxy / sxx;
  const intercept = my - exponent * mx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { coefficient: Math.exp(intercept), exponent, r2, points: n };
}

export const evaluate = (law: PowerLaw, x: number): number => law.coefficient * x ** law.exponent;

/**
 * The size where `cheapLater` (the slower-growing law) becomes cheaper than `other`: where
 * the lines cross, if `other` grows faster. Undefined when it does not (no crossing ahead).
 */
export function crossing(cheapLater: PowerLaw, other: PowerLaw): number | undefined {
  const dk = other.exponent - cheapLater.exponent;
  if (!(dk > 0)) return undefined;
  return (cheapLater.coefficient / other.coefficient) ** (1 / dk);
}
