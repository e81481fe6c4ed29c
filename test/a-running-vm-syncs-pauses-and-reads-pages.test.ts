/**
 * The embeddable VM: sync() resolves with the pages written since the last sync as KVM's bitmap
 * (no page missing, checked against the guest's own record with verify), pause() stops every
 * vCPU at a slice boundary (no write while paused), page contents are read straight from the
 * shared arena, and every sync is an event.
 */
import { describe, expect, it } from 'vitest';
import { startVm, type VmSync } from '../src/index.ts';
import { MODES } from '../src/tracking/index.ts';

describe.each(MODES.map((m) => m.name))('%s', (strategy) => {
  it('syncs while running and paused, pauses at a slice boundary, and reads stamped pages', async () => {
    const vm = await startVm({ strategy, memory: '8MiB', vcpus: 2, pattern: 'random', verify: true, deviceWriter: false });
    try {
      const events: VmSync[] = [];
      vm.on('sync', (e) => events.push(e));
      await vm.sync();
      await new Promise((r) => setTimeout(r, 30));
      const running = await vm.sync();
      expect(running.set.count).toBeGreaterThan(0);
      expect(running.set.bitmap).toBeInstanceOf(Uint8Array);
      expect(running.set.bitmap.byteLength).toBe(2048 / 8 * 1); // 2048 pages, one bit each
      await vm.pause();
      const writes = vm.counters().writes;
      await new Promise((r) => setTimeout(r, 30));
      expect(vm.counters().writes).toBe(writes);
      await vm.sync(); // what was written before the pause
      vm.stamp = 77;
      vm.resume();
      await new Promise((r) => setTimeout(r, 30));
      await vm.pause();
      const after = await vm.sync();
      // The pages reported are exactly those that carry the new stamp in their first word.
      const words = new Uint32Array(vm.memory!.buffer, vm.memory!.byteOffset, vm.memory!.byteLength / 4);
      let stamped = 0;
      after.set.forEachPage((p) => void (stamped += words[p * 1024] === 77 ? 1 : 0));
      let carrying = 0;
      for (let p = 0; p < vm.pages; p++) carrying += words[p * 1024] === 77 ? 1 : 0;
      expect(after.set.count).toBeGreaterThan(0);
      expect(stamped).toBe(after.set.count);
      expect(carrying).toBe(after.set.count);
      expect(after.set.toPageList().length).toBe(after.set.count);
      expect(events.map((e) => e.sync)).toEqual([1, 2, 3, 4]);
      const result = await vm.stop();
      expect(result).toMatchObject({ kind: 'stopped', syncs: 4, verification: { kind: 'passed', missedCount: 0 } });
    } finally {
      await vm.stop();
    }
  });
});

it('refuses the options that only rounds use, naming them', async () => {
  await expect(startVm({ strategy: 'ring', seconds: 2 } as never)).rejects.toThrow(/options\.seconds applies to startRun's rounds, not to a running VM/);
  await expect(startVm({ strategy: 'ring', dirtyRate: true } as never)).rejects.toThrow(/options\.dirtyRate applies to startRun's rounds, not to a running VM/);
});

it('refuses the kvm backend, whose guest memory is not the arena it hands out', async () => {
  await expect(startVm({ strategy: 'ring', backend: 'kvm' })).rejects.toThrow(/backend kvm runs startRun's rounds only: .*use backend model/);
});
