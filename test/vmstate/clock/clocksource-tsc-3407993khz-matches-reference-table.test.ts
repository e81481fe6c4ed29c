import { describe, expect, it } from 'vitest';
import { tscClocksource } from '../../../src/vmstate/index.ts';

describe('TSC clocksource at the reference row (3.408 GHz part, tsc_khz 3407993)', () => {
  it('gives mult 4922902 / shift 24, max_cycles 0x311FCD52370 and max_idle_ns 440795242006', () => {
    const c = tscClocksource(3_407_993n);
    expect(c.mult).toBe(4_922_902n);
    expect(c.shift).toBe(24n);
    expect(c.maxCycles).toBe(0x311fcd52370n);
    expect(c.maxIdleNs).toBe(440_795_242_006n);
  });

  it('overflows raw after ~990.6 s, as the table says', () => {
    const c = tscClocksource(3_407_993n);
    const seconds = Number((c.maxCycles * 1000n) / c.freqHz) / 1000;
    expect(seconds).toBeCloseTo(990.6, 1);
  });
});
