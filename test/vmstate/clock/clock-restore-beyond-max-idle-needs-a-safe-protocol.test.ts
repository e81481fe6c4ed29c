import { describe, expect, it } from 'vitest';
import { runClockMigration, tscClocksource } from '../../../src/vmstate/index.ts';

// A gap that lands the first post-restore reads on the 64-bit wrap of delta * mult at 2.5 GHz:
// the scenario's last tick is 2 ms before the first read, and the vCPUs read 1 us apart.
const cs = tscClocksource(2_500_000n);
const wrapNs = (((1n << 64n) / cs.mult) * 1_000_000n) / 2_500_000n;
const downtimeNs = wrapNs - 2_000_000n - 1_500n;

describe('a forward jump beyond max_idle_ns (invariant 6)', () => {
  it('is refused without a safe protocol', () => {
    const report = runClockMigration({ downtimeNs });
    expect(report.restore).toMatchObject({ kind: 'refused', reason: (expect.stringContaining('max_idle_ns 440795263295') as string) });
  });

  it.each(['suspend-resume', 'stop-machine'] as const)('is accepted through %s and no reading goes backwards', (protocol) => {
    const report = runClockMigration({ downtimeNs, protocol });
    expect(report.restore.kind).toBe('restored');
    expect(report.invariants.every((i) => i.holds)).toBe(true);
    // Readers that tried to run while the guest was parked/frozen were held back.
    expect(report.blockedGuestRuns).toBe(2);
  });

  it('unsafe: forced through without one, the wrapped delta makes readings go backwards', () => {
    const report = runClockMigration({ downtimeNs, checks: 'off' });
    const broken = report.invariants.filter((i) => !i.holds);
    expect(broken.map((i) => i.invariant)).toEqual([1, 2, 6]);
    expect(broken[0]!.detail).toMatch(/^monotonicNs/);
  });
});
