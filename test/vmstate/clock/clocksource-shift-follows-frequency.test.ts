import { describe, expect, it } from 'vitest';
import { tscClocksource } from '../../../src/vmstate/index.ts';

describe('TSC clocksource shift and idle limit by frequency (reference 1.5)', () => {
  it.each([2_500_000n, 3_000_000n, 5_000_000n])('%s kHz uses shift 24 and idles ~440.8 s', (khz) => {
    const c = tscClocksource(khz);
    expect(c.shift).toBe(24n);
    expect(Number(c.maxIdleNs) / 1e9).toBeCloseTo(440.8, 1);
  });

  it.each([1_000_000n, 2_000_000n, 4_000_000n])('%s kHz uses shift 23 and idles ~881.6 s', (khz) => {
    const c = tscClocksource(khz);
    expect(c.shift).toBe(23n);
    expect(Number(c.maxIdleNs) / 1e9).toBeCloseTo(881.6, 1);
  });

  it('rejects a zero frequency with a message naming the option', () => {
    expect(() => tscClocksource(0n)).toThrow(/tscKhz/);
  });
});
