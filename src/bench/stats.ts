/** Robust summaries for a shared, noisy machine: medians and median absolute deviations. */
export interface Summary {
  readonly median: number;
  /** Median absolute deviation, in the same unit. */
  readonly mad: number;
  readonly min: number;
  readonly max: number;
  readonly samples: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { median: NaN, mad: NaN, min: NaN, max: NaN, samples: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const deviations = sorted.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  return { median, mad: quantile(deviations, 0.5), min: sorted[0]!, max: sorted.at(-1)!, samples: values.length };
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
