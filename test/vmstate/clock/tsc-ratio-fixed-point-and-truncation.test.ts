import { describe, expect, it } from 'vitest';
import { scaleTsc, setTscKhz, truncationLoss } from '../../../src/vmstate/index.ts';

describe('TSC scaling ratio, 3 GHz host running a 2.5 GHz guest', () => {
  it('VMX uses 48 fractional bits: ratio 0xD555_5555_5555', () => {
    const o = setTscKhz({ userKhz: 2_500_000n, hostKhz: 3_000_000n, vendor: 'vmx' });
    expect(o.kind).toBe('scaled');
    if (o.kind === 'scaled') expect(o.scaling.ratio).toBe(0xd555_5555_5555n);
  });

  it('SVM uses 32 fractional bits: ratio 0xD555_5555', () => {
    const o = setTscKhz({ userKhz: 2_500_000n, hostKhz: 3_000_000n, vendor: 'svm' });
    if (o.kind !== 'scaled') throw new Error(`expected scaled, got ${o.kind}`);
    expect(o.scaling.ratio).toBe(0xd555_5555n);
  });

  it('truncation loses ~78 cycles per 10^12 host cycles on SVM and under one on VMX', () => {
    expect(truncationLoss(10n ** 12n, 2_500_000n, 3_000_000n, 'svm')).toBe(78n);
    expect(truncationLoss(10n ** 12n, 2_500_000n, 3_000_000n, 'vmx')).toBeLessThan(1n);
  });

  it('uses the full 128-bit product: a host TSC near 2^64 still scales exactly', () => {
    const o = setTscKhz({ userKhz: 2_500_000n, hostKhz: 3_000_000n, vendor: 'vmx' });
    if (o.kind !== 'scaled') throw new Error('expected scaled');
    const host = (1n << 64n) - 1n;
    expect(scaleTsc(host, o.scaling)).toBe((host * 0xd555_5555_5555n) >> 48n);
  });

  it('rejects a ratio at or above the SVM maximum (8 integer bits) with EINVAL', () => {
    const o = setTscKhz({ userKhz: 256n * 1_000_000n, hostKhz: 1_000_000n, vendor: 'svm' });
    expect(o).toMatchObject({ kind: 'error', errno: 'EINVAL' });
  });
});
