/**
 * AbortSignal cancels either side mid-stream, cleanly: aborting the source leaves its guest
 * running as it was and the destination discards its copy; aborting the destination discards
 * its copy and the source reports the destination gone, its guest still running. Neither side
 * leaves a VM, a socket or a timer behind (the test process would hang otherwise).
 */
import { expect, it } from 'vitest';
import { listenForMigration, migrate, startVm } from '../src/index.ts';

const guest = { strategy: 'ring' as const, memory: '8MiB', vcpus: 1, pattern: 'random' as const, writeRate: 1000 };

it('aborting the source', async () => {
  const vm = await startVm(guest);
  const listener = await listenForMigration({ port: 0 });
  const ctl = new AbortController();
  try {
    const m = migrate({ vm, to: { port: listener.port }, bandwidth: '4MiB', signal: ctl.signal });
    m.on('setup', () => setTimeout(() => ctl.abort(), 200));
    const r = await m.result;
    expect(r).toMatchObject({ kind: 'aborted', phase: 'rounds', guestRunsOn: 'source' });
    expect(r.verdict).toMatch(/^aborted in phase rounds after \d+ bytes; the guest runs on at the source, as it was$/);
    expect(vm.paused).toBe(false);
    const d = await listener.result;
    expect(d.kind).toBe('failed');
    expect(d.verdict).toMatch(/discarded the partial guest/);
    expect('vm' in d).toBe(false);
  } finally {
    await vm.stop();
  }
}, 30_000);

it('aborting the destination', async () => {
  const vm = await startVm(guest);
  const ctl = new AbortController();
  const listener = await listenForMigration({ port: 0, signal: ctl.signal });
  try {
    const m = migrate({ vm, to: { port: listener.port }, bandwidth: '4MiB' });
    m.on('setup', () => setTimeout(() => ctl.abort(), 200));
    const d = await listener.result;
    expect(d.kind).toBe('aborted');
    expect(d.verdict).toMatch(/^aborted in phase rounds after \d+ bytes \(\d+ records\): .*; discarded the partial guest/);
    const r = await m.result;
    expect(r).toMatchObject({ kind: 'failed', cause: 'peer-gone', phase: 'rounds', guestRunsOn: 'source' });
    expect(vm.paused).toBe(false);
  } finally {
    await vm.stop();
  }
}, 30_000);
