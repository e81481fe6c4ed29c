import { describe, expect, it } from 'vitest';
import { setTscKhz } from '../../../src/vmstate/index.ts';

describe('the +/-250 ppm no-scaling window', () => {
  it('inside the window KVM reports the requested kHz but runs the guest at the host rate', () => {
    const o = setTscKhz({ userKhz: 3_000_000n, hostKhz: 3_000_500n, vendor: 'vmx' });
    expect(o.kind).toBe('identity');
    if (o.kind !== 'identity') return;
    expect(o.why).toBe('within-tolerance');
    expect(o.scaling.virtualTscKhz).toBe(3_000_000n);
    expect(o.scaling.effectiveKhz).toBe(3_000_500n);
  });

  it('just outside the window the rate is scaled', () => {
    // 250 ppm of 3 GHz is 750 kHz.
    expect(setTscKhz({ userKhz: 3_000_000n, hostKhz: 3_000_760n, vendor: 'vmx' }).kind).toBe('scaled');
  });

  it('without hardware scaling a higher rate falls back to catch-up and a lower one is refused', () => {
    expect(setTscKhz({ userKhz: 3_100_000n, hostKhz: 3_000_000n, vendor: 'svm', hostCanScale: false }).kind).toBe('catch-up');
    expect(setTscKhz({ userKhz: 2_000_000n, hostKhz: 3_000_000n, vendor: 'svm', hostCanScale: false }).kind).toBe('error');
  });
});
