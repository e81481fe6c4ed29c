import { describe, expect, it } from 'vitest';
import { GuestTimekeeper, tscClocksource } from '../../../src/vmstate/index.ts';

describe('guest timekeeper across a gap', () => {
  const cs = tscClocksource(2_500_000n);
  // delta * mult wraps 2^64 once delta reaches this many cycles.
  const wrap = (1n << 64n) / cs.mult + 1n;

  it('unsafe: a delta just past the 64-bit wrap reads smaller than one just before it', () => {
    const tk = new GuestTimekeeper(cs, 1_000n);
    const before = tk.read(1_000n + wrap - 10n);
    const after = tk.read(1_000n + wrap + 10n);
    expect(after).toBeLessThan(before);
  });

  it('safe: a rebase with the elapsed time never reads a delta across the gap', () => {
    const tk = new GuestTimekeeper(cs, 1_000n);
    const last = tk.read(2_000n);
    tk.rebase(1_000n + wrap + 10n, 1_100_000_000_000n);
    expect(tk.read(1_000n + wrap + 20n)).toBeGreaterThan(last);
  });
});
