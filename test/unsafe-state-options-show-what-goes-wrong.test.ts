/**
 * One deliberately unsafe variant per VM-state model, each caught and named at the destination:
 * the documentation's literal TSC formula (unchecked) makes the guest TSC leap; a new VMGenID on
 * a live migration is refused; a VMM that ignores a refused SET_ONE_REG changes the guest's PSCI
 * under it; SEV types read before the harvest, with conversions not re-dirtying, send pages with
 * a stale type and stale contents. Exit status 1 from the CLI in each case.
 */
import { expect, it } from 'vitest';
import { listenForMigration, migrate, startVm, type DestinationStateOptions, type SourceStateOptions } from '../src/index.ts';

async function attempt(source: SourceStateOptions, destination: DestinationStateOptions = {}) {
  const vm = await startVm({ strategy: 'ring', memory: '2MiB', vcpus: 1, pattern: 'random', writeRate: 2000 });
  const listener = await listenForMigration({ port: 0, state: destination });
  try {
    const r = await migrate({ vm, to: { port: listener.port }, state: source }).result;
    const d = await listener.result;
    await d.vm?.stop();
    return r;
  } finally {
    await vm.stop();
  }
}

it('clock: the literal formula leaps the guest TSC', async () => {
  const r = await attempt({ unsafe: ['clock'] });
  expect(r).toMatchObject({ kind: 'failed', cause: 'state' });
  const clock = r.state.find((s) => s.model === 'clock')!;
  expect(clock.kind).toBe('broken');
  expect(clock.detail).toMatch(/unscaled-units formula, unchecked\): the guest TSC moved \d+ cycles where kvmclock moved \d+ \(\d+ s of TSC time too many\)/);
});

it('vmgenid: a new ID on a live migration is refused, and why it matters', async () => {
  const r = await attempt({ unsafe: ['vmgenid'] });
  expect(r).toMatchObject({ kind: 'failed', cause: 'state', phase: 'switchover', guestRunsOn: 'source' });
  expect(r.kind === 'failed' && r.reason).toMatch(/VMGenID changed during a live migration .*reseed its RNG and drop its WireGuard keys/);
});

it('psci: ignoring a refused register write changes the guest\'s firmware under it', async () => {
  const r = await attempt({ psciHost: 'new', unsafe: ['psci'] }, { psciHost: 'old' });
  const psci = r.state.find((s) => s.model === 'psci')!;
  expect(psci.kind).toBe('broken');
  expect(psci.detail).toMatch(/the guest booted with PSCI 1\.3 and now sees 1\.1/);
});

it('sev: types read before the harvest and no re-dirty: stale types and stale pages, by number', async () => {
  const r = await attempt({ sev: { conversionsPerRound: 16 }, unsafe: ['sev'] });
  expect(r.kind).toBe('failed');
  const sev = r.state.find((s) => s.model === 'sev')!;
  expect(sev.kind).toBe('broken');
  expect(sev.detail).toMatch(/KVM_EXIT_HYPERCALL \(MAP_GPA_RANGE\) pending|arrived with a stale type/);
  expect(r.proof!.differingCount).toBeGreaterThan(0);
});
