import { describe, expect, it } from 'vitest';
import { composeNested, guestTsc } from '../../../src/vmstate/index.ts';

describe('nested TSC scaling composes L1 and L2', () => {
  const one = 1n << 48n;
  it('an identity L2 leaves L1 unchanged apart from the added L2 offset', () => {
    expect(composeNested('vmx', { ratio: 3n << 47n, offset: 100n }, { ratio: one, offset: 5n })).toEqual({ ratio: 3n << 47n, offset: 105n });
  });

  it('a doubled L2 under a halved L1 gives the host rate, offsets scaled by L2', () => {
    const c = composeNested('vmx', { ratio: one >> 1n, offset: 1_000n }, { ratio: one << 1n, offset: 7n });
    expect(c.ratio).toBe(one);
    const host = 10_000_000n;
    // L2 TSC = ((host * L1 >> N) + L1 ofs) * L2 >> N + L2 ofs
    const stepwise = guestTsc(guestTsc(host, { vendor: 'vmx', ratio: one >> 1n }, 1_000n), { vendor: 'vmx', ratio: one << 1n }, 7n);
    expect(guestTsc(host, { vendor: 'vmx', ratio: c.ratio }, c.offset)).toBe(stepwise);
  });
});
