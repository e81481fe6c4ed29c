import { expect, it } from 'vitest';
import { runClockMigration } from '../../../src/vmstate/index.ts';

it('unsafe: sequential per-vCPU IA32_TSC writes skew vCPUs, so a later read on another vCPU is smaller (invariant 2)', () => {
  const report = runClockMigration({ formula: 'msr-per-vcpu', checks: 'off' });
  const inv2 = report.invariants.find((i) => i.invariant === 2)!;
  expect(inv2.holds).toBe(false);
  expect(inv2.detail).toMatch(/^tsc: vCPU [1-3] read/);
  // Per vCPU each counter still only moves forward: the damage is across vCPUs.
  expect(report.invariants.find((i) => i.invariant === 1)!.holds).toBe(true);
});
