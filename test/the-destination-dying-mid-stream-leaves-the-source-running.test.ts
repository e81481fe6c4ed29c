/**
 * The destination process is killed in the middle of the first pass: the source reports the
 * phase and the byte offset the stream had reached, its guest never stopped and keeps running,
 * and nothing is lost: the same VM then migrates to a new destination with every page equal.
 */
import { expect, it } from 'vitest';
import { migrate, startVm } from '../src/index.ts';
import { spawnDestination } from '../src/migration/spawn-destination.ts';

it('reports phase and byte offset, keeps the guest running, and migrates again', async () => {
  const vm = await startVm({ strategy: 'ring', memory: '16MiB', vcpus: 2, pattern: 'random', writeRate: 2000, verify: true });
  try {
    const first = await spawnDestination();
    // 16 MiB at 8 MiB/s: the first pass takes about two seconds; the kill lands inside it.
    const m = migrate({ vm, to: { port: first.port }, bandwidth: '8MiB' });
    m.on('setup', () => setTimeout(() => first.kill(), 300));
    const r = await m.result;
    expect(r).toMatchObject({ kind: 'failed', cause: 'peer-gone', phase: 'rounds', guestRunsOn: 'source' });
    if (r.kind !== 'failed') throw new Error('unreachable');
    expect(r.bytesSent).toBeGreaterThan(1_000_000);
    expect(r.bytesSent).toBeLessThan(16 * 2 ** 20);
    expect(r.verdict).toMatch(new RegExp(`^failed in phase rounds after ${r.bytesSent} bytes: the destination(?: closed the connection|: ECONNRESET|: EPIPE).*; the guest runs on at the source, as it was$`));
    expect(r.totals.downtimeMs).toBeUndefined();
    expect(vm.paused).toBe(false);
    const writes = vm.counters().writes;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(vm.counters().writes).toBeGreaterThan(writes);
    expect((await first.result).kind).toBe('lost');

    const second = await spawnDestination();
    const again = await migrate({ vm, to: { port: second.port } }).result;
    expect(again.kind).toBe('migrated');
    expect(again.proof).toMatchObject({ pagesCompared: 4096, differingCount: 0 });
    expect(again.verification).toMatchObject({ kind: 'passed', missedCount: 0 });
    expect((await second.result).kind).toBe('reported');
  } finally {
    await vm.stop();
  }
}, 60_000);
