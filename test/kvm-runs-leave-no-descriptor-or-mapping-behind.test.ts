/**
 * A program that starts many runs on the kvm backend (a sweep starts one per trial) must not
 * keep their VMs: every run closes its descriptors and unmaps its memory once its threads have
 * gone, whether it completed, was stopped by its signal, or failed in a thread. Counted from
 * /proc/self: KVM's descriptors and the backend's shared mappings.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { expect, it } from 'vitest';
import { startRun } from '../src/index.ts';
import { describeOnKvm } from './support/conformance.ts';

function held(): { fds: number; maps: number } {
  const fds = readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return /^\/dev\/kvm$|^anon_inode:kvm/.test(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false;
    }
  }).length;
  return { fds, maps: readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => /anon_inode:kvm|\/dev\/zero/.test(l)).length };
}

describeOnKvm('kvm runs and what they hold', () => {
  it('completed, aborted and failed runs, one after another, leave nothing', async () => {
    const before = held();
    expect(before.fds).toBe(0);
    const runs = [
      { backend: 'kvm', strategy: 'ring', ringEntries: 1024, iterations: 2, verify: true },
      { backend: 'kvm', strategy: 'bitmap', iterations: 2 },
      { backend: 'kvm', strategy: 'clear-log', iterations: 2, pattern: 'zipf' },
      { backend: 'kvm', strategy: 'ring', iterations: 50, inject: { vcpuFailsAfterSlices: { vcpu: 1, slices: 3 } } },
    ] as const;
    const kinds: string[] = [];
    for (const r of runs) kinds.push((await startRun(r).result).kind);
    const stop = new AbortController();
    const aborted = startRun({ backend: 'kvm', strategy: 'ring', seconds: 60, signal: stop.signal });
    aborted.on('iteration', () => stop.abort());
    kinds.push((await aborted.result).kind);
    expect(kinds).toEqual(['completed', 'completed', 'completed', 'failed', 'aborted']);
    expect(held()).toEqual(before);
  }, 60_000);
});
