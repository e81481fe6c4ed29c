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
 * Best: the smallest ring that is as fast as the fastest, within 5 % or within the noise (two
 * MADs of the fastest point's trials, on a shared machine often more), and that stalls its
 * vCPUs no more than 5 points above the least-stalling of those. Smaller rings cost less memory,
 * re-arm pages sooner and give shorter reset bursts (Paolo Bonzini's argument against huge
 * rings), so a bigger ring has to earn its place with more than noise; and of two rings the
 * noise cannot tell apart, the one whose guest stops less is the better one.
 */
export interface CurvePoint {
  /** Ring entries (x, drawn on a log scale). */
  readonly x: number;
  /** Median throughput. */
  readonly y: number;
  /** Median absolute deviation of the trials' throughput: what noise can move the median by. */
  readonly mad?: number;
  /** Median share of the vCPUs' time stalled on full rings (0 to 1). */
  readonly stall?: number;
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
/** Stall shares within this of the least-stalling candidate count as the same. */
export const STALL_TOLERANCE = 0.05;
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

/** The best point's index, and what admitted it: the throughput tolerance used. */
export function bestIndex(points: readonly CurvePoint[]): { index: number; tolerance: number } {
  const ys = points.map((p) => p.y);
  const top = points[ys.indexOf(Math.max(...ys))]!;
  const tolerance = Math.max(BEST_TOLERANCE, top.mad !== undefined && top.y > 0 ? (2 * top.mad) / top.y : 0);
  const fast = points.map((p, i) => ({ p, i })).filter(({ p }) => p.y >= top.y * (1 - tolerance));
  const calm = Math.min(...fast.map(({ p }) => p.stall ?? 0));
  const best = fast.find(({ p }) => (p.stall ?? 0) <= calm + STALL_TOLERANCE)!;
  return { index: best.i, tolerance };
}
