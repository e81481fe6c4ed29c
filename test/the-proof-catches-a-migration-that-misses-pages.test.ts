/**
 * The destination's proof is trusted because it catches a broken migration: a source whose
 * collector never re-arms write protection (so writes after its first collection go unlogged and
 * their pages are never sent again) migrates "successfully" as far as the rounds can tell, and
 * the comparison of every page then names the pages that differ. The same migration with a
 * working collector proves every page equal (the other tests).
 */
import { expect, it } from 'vitest';
import { listenForMigration, migrate, startVm } from '../src/index.ts';

it.each(['ring', 'bitmap'] as const)('%s with a collector that never re-arms: the proof names the differing pages', async (strategy) => {
  const vm = await startVm({ strategy, memory: '4MiB', vcpus: 2, pattern: 'random', writeRate: 5000, brokenCollector: 'never-rearm' });
  const listener = await listenForMigration({ port: 0 });
  try {
    const r = await migrate({ vm, to: { port: listener.port } }).result;
    const d = await listener.result;
    expect(r).toMatchObject({ kind: 'failed', cause: 'proof', guestRunsOn: 'destination' });
    expect(r.proof!.differingCount).toBeGreaterThan(0);
    expect(r.proof!.differing.length).toBe(Math.min(100, r.proof!.differingCount));
    expect(r.verdict).toMatch(new RegExp(`^migrated, but not faithfully: ${r.proof!.differingCount} of 1024 pages differ on the destination \\(first: ${r.proof!.differing.slice(0, 8).join(', ')}\\)`));
    expect(d.kind).toBe('failed');
    expect(d.verdict).toMatch(/the guest runs here, but not faithfully: \d+ of 1024 pages differ from the source's/);
    await d.vm?.stop();
  } finally {
    await vm.stop();
  }
}, 30_000);
