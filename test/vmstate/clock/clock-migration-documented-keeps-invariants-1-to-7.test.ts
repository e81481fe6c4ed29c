import { describe, expect, it } from 'vitest';
import { runClockMigration } from '../../../src/vmstate/index.ts';

describe('a 4-vCPU guest migrated with the documented algorithm', () => {
  it.each(['vmx', 'svm'] as const)('keeps invariants 1 to 7 on %s hosts', (vendor) => {
    const report = runClockMigration({
      src: { name: 'src', vendor, tscKhz: 3_000_000n, tscAtZero: 7n * 10n ** 12n, realtimeAtZeroNs: 10n ** 18n },
      dst: { name: 'dst', vendor, tscKhz: 2_900_000n, tscAtZero: 6n * 10n ** 12n, realtimeAtZeroNs: 10n ** 18n },
    });
    expect(report.restore.kind).toBe('restored');
    expect(report.readings.length).toBe(48);
    expect(report.invariants.map((i) => [i.invariant, i.holds])).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => [n, true]));
  });
});
