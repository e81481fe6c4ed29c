import { describe, expect, it } from 'vitest';
import { runClockMigration } from '../../../src/vmstate/index.ts';

const HOUR = 3_600_000_000_000n;

describe('KVM_CLOCK_REALTIME on a snapshot restore', () => {
  it('cleared (the default for snapshots): kvmclock resumes where it stopped, no jump', () => {
    const report = runClockMigration({ purpose: 'snapshot-restore', downtimeNs: HOUR });
    expect(report.restore).toMatchObject({ kind: 'restored', forwardJumpNs: 0n });
    expect(report.invariants.every((i) => i.holds)).toBe(true);
  });

  it('unsafe: passed back, it adds the whole hour and is flagged (invariant 5)', () => {
    const report = runClockMigration({ purpose: 'snapshot-restore', downtimeNs: HOUR, passRealtime: true, protocol: 'suspend-resume' });
    expect(report.restore.kind).toBe('restored');
    if (report.restore.kind !== 'restored') return;
    expect(report.restore.flags).toContainEqual(expect.objectContaining({ kind: 'realtime-gap-on-snapshot', addedNs: HOUR }));
    expect(report.invariants.find((i) => i.invariant === 5)!.holds).toBe(false);
  });
});
