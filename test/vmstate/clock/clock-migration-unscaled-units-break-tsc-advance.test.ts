import { expect, it } from 'vitest';
import { runClockMigration } from '../../../src/vmstate/index.ts';

it('unsafe: ns * kHz (the literal document) advances the guest TSC 10^6 times too far (invariants 4 and 6)', () => {
  const report = runClockMigration({ formula: 'unscaled-units', checks: 'off' });
  expect(report.restore.kind).toBe('restored');
  const inv4 = report.invariants.find((i) => i.invariant === 4)!;
  expect(inv4.holds).toBe(false);
  expect(inv4.detail).toContain('375000000000000 cycles for 375000000 expected');
  expect(report.invariants.find((i) => i.invariant === 6)!.holds).toBe(false);
});
