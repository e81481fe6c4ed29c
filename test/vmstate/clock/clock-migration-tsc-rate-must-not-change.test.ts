import { describe, expect, it } from 'vitest';
import { runClockMigration } from '../../../src/vmstate/index.ts';

describe('guest TSC frequency across migration (invariant 7)', () => {
  it('unsafe: a destination that skips KVM_SET_TSC_KHZ runs the guest at its own rate', () => {
    const report = runClockMigration({ formula: 'keep-host-rate' });
    const inv7 = report.invariants.find((i) => i.invariant === 7)!;
    expect(inv7.holds).toBe(false);
    expect(inv7.detail).toContain('2500000 kHz before and 3200000 kHz after');
  });

  it('the 250 ppm window hides a host mismatch: KVM reports the same kHz, the guest measures another', () => {
    const report = runClockMigration({
      guestKhz: 3_000_000n,
      src: { name: 'src', vendor: 'vmx', tscKhz: 3_000_000n, tscAtZero: 0n, realtimeAtZeroNs: 0n },
      dst: { name: 'dst', vendor: 'vmx', tscKhz: 3_000_500n, tscAtZero: 10n ** 12n, realtimeAtZeroNs: 0n },
    });
    expect(report.restore.kind).toBe('restored');
    if (report.restore.kind !== 'restored') return;
    expect(report.restore.flags).toContainEqual({ kind: 'tsc-rate-hidden-mismatch', requestedKhz: 3_000_000n, effectiveKhz: 3_000_500n });
    expect(report.invariants.find((i) => i.invariant === 7)!.holds).toBe(false);
  });
});
