/**
 * Reading a ring-size curve: where it bends (the knee), which size to pick (the best), and
 * whether either coincides with a cache boundary.
 *
 * Knee: Kneedle (Satopää et al., 2011) on the rising part of the curve: with ring size on a
 * log scale and throughput both normalised to [0, 1] between the smallest size and the one
 * with the highest throughput, the knee is the point furthest above the straight line
 * between them, where doubling the ring stops paying as much as it did. A curve whose
 * medians all lie within 10 % of each other is flat (no knee); one still climbing in a
 * straight line at the largest size has none yet; one that falls from the start is "falling".
 *
 * Best: the smallest ring within 5 % of the highest median throughput. Smaller rings cost less
 * memory, re-arm pages sooner and give shorter reset bursts (Paolo Bonzini's argument against
 * huge rings), so a bigger ring has to earn its place with more than noise.
 */
export interface CurvePoint {
  /** Ring entries (x, drawn on a log scale). */
  readonly x: number;
  /** Median throughput. */
  readonly y: number;
}

export type KneeFinding =
  | { readonly kind: 'knee'; readonly index: number }
  | { readonly kind: 'flat' }
  | { readonly kind: 'rising' }
  | { readonly kind: 'falling' };

/** Medians within this share of the top one are "the same": no knee. */
export const FLAT_TOLERANCE = 0.1;
/** The best size is the smallest within this share of the top median. */
export const BEST_TOLERANCE = 0.05;
/** Below this normalised height above the chord, a curve is a straight line, not a bend. */
const BEND = 0.05;

export function findKnee(points: readonly CurvePoint[]): KneeFinding {
  const ys = points.map((p) => p.y);
  const top = Math.max(...ys);
  if (points.length < 2 || !(top > 0) || (top - Math.min(...ys)) / top < FLAT_TOLERANCE) return { kind: 'flat' };
  const peak = ys.indexOf(top);
  if (peak === 0) return { kind: 'falling' };
  const rise = points.slice(0, peak + 1);
  const lx = rise.map((p) => Math.log2(p.x));
  const [x0, x1, y0] = [lx[0]!, lx[peak]!, rise[0]!.y];
  let best = -Infinity;
  let index = peak;
  rise.forEach((p, i) => {
    const d = (p.y - y0) / (top - y0) - (lx[i]! - x0) / (x1 - x0);
    if (d > best) [best, index] = [d, i];
  });
  if (best > BEND) return { kind: 'knee', index };
  // A straight climb: it bends at the peak if the curve stops rising there, else not yet.
  return peak < points.length - 1 ? { kind: 'knee', index: peak } : { kind: 'rising' };
}

/**
 * Index of the smallest x whose y is within BEST_TOLERANCE of the highest. (Overlapping trial
 * ranges are not used as a tie: three noisy trials on a shared machine overlap a ring that
 * stalls the guest half the time with one that never stalls it.)
 */
export function bestIndex(points: readonly CurvePoint[]): number {
  const top = Math.max(...points.map((p) => p.y));
  return points.findIndex((p) => p.y >= top * (1 - BEST_TOLERANCE));
}
