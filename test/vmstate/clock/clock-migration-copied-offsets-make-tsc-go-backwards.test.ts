import { describe, expect, it } from 'vitest';
import { runClockMigration } from '../../../src/vmstate/index.ts';

describe('copying the source TSC offsets to a host whose counter is behind', () => {
  it('unsafe: the guest TSC goes backwards (invariants 1 and 2 broken)', () => {
    const report = runClockMigration({ formula: 'copy-offsets', checks: 'off' });
    const broken = report.invariants.filter((i) => !i.holds).map((i) => i.invariant);
    expect(broken).toEqual(expect.arrayContaining([1, 2, 3, 4]));
  });

  it('with checks the restore is refused and says which formula to use', () => {
    const report = runClockMigration({ formula: 'copy-offsets' });
    expect(report.restore).toMatchObject({ kind: 'refused', reason: (expect.stringMatching(/backwards.*documented/) as string) });
  });
});
