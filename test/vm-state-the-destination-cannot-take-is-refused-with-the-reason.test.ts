/**
 * The VM state travels with the pages and is checked: what the destination cannot take is
 * refused with the reason and the guest runs on at the source. The PSCI pair new -> old and an
 * SEV guest that has not set KVM_MIGRATION_READY are refused before any page is sent; a clock
 * whose forward jump would pass max_idle_ns (the hosts' wall clocks 10 minutes apart) is refused
 * at the switchover, unless the stop_machine rendezvous froze the guest's timekeeping first.
 */
import { expect, it } from 'vitest';
import { listenForMigration, migrate, startVm, type DestinationStateOptions, type SourceStateOptions } from '../src/index.ts';

async function attempt(source: SourceStateOptions, destination: DestinationStateOptions) {
  const vm = await startVm({ strategy: 'ring', memory: '1MiB', vcpus: 1, pattern: 'random', writeRate: 1000 });
  const listener = await listenForMigration({ port: 0, state: destination, acceptTimeoutMs: 2000 });
  try {
    const r = await migrate({ vm, to: { port: listener.port }, state: source }).result;
    const d = await listener.result;
    await d.vm?.stop();
    return { r, d, running: !vm.paused };
  } finally {
    await vm.stop();
  }
}

it('PSCI new -> old: refused before any page, with KVM\'s errno and the advice', async () => {
  const { r, d, running } = await attempt({ psciHost: 'new' }, { psciHost: 'old' });
  expect(r).toMatchObject({ kind: 'failed', cause: 'refused', phase: 'setup', guestRunsOn: 'source' });
  expect(r.totals.pagesSent).toBe(0);
  expect(r.kind === 'failed' && r.reason).toMatch(/^the destination refused the migration before any page was sent: PSCI firmware registers: old \(linux-6\.12\): SET_ONE_REG KVM_REG_ARM_PSCI_VERSION = 0x10003 failed with -EINVAL: .*pin a PSCI version both hosts know/);
  expect(d).toMatchObject({ kind: 'failed', phase: 'setup', pagesReceived: 0 });
  expect(running).toBe(true);
});

it('SEV without KVM_MIGRATION_READY: refused by the source before it connects', async () => {
  const { r } = await attempt({ sev: { migrationReady: false } }, {});
  expect(r).toMatchObject({ kind: 'failed', cause: 'refused', phase: 'connect' });
  expect(r.kind === 'failed' && r.reason).toMatch(/^SEV: the guest has not set KVM_MIGRATION_READY in MSR_KVM_MIGRATION_CONTROL \(0x4b564d08\)/);
  expect(r.totals.transferred).toBe(0);
});

it('an SEV guest whose pages convert during the migration: every page sent with its current type', async () => {
  const { r, d } = await attempt({ sev: { conversionsPerRound: 16 } }, {});
  expect(r.kind).toBe('migrated');
  expect(r.state.find((s) => s.model === 'sev')).toMatchObject({ kind: 'ok' });
  expect(d.kind).toBe('migrated');
});

it('a forward clock jump past max_idle_ns is refused at the switchover; the rendezvous makes it safe', async () => {
  const skewed = await attempt({}, { clockSkewMs: 600_000 });
  expect(skewed.r).toMatchObject({ kind: 'failed', cause: 'state', phase: 'switchover', guestRunsOn: 'source' });
  expect(skewed.r.kind === 'failed' && skewed.r.reason).toMatch(/TSC\/kvmclock: the guest clock would jump 6\d{11} ns, beyond max_idle_ns 440\d+; suspend the guest or use the stop_machine rendezvous first/);
  expect(skewed.d.verdict).toMatch(/discarded the partial guest/);
  expect(skewed.running).toBe(true);
  const frozen = await attempt({ clockProtocol: 'stop-machine' }, { clockSkewMs: 600_000 });
  expect(frozen.r.kind).toBe('migrated');
  expect(frozen.r.state.find((s) => s.model === 'clock')!.detail).toMatch(/moved forward 6\d{5} ms inside the stop_machine rendezvous/);
});
