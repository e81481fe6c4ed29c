/** kvm_dirty_ring_push writes slot and offset, then publishes DIRTY, at dirty_index & (N-1). */
import { describe, expect, it } from 'vitest';
import { createVm } from '../src/index.ts';
import { engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it('writes a 16-byte kvm_dirty_gfn {flags=1, slot, offset u64} and advances dirty_index', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 10 }, { pages: 100000 }], vcpus: 1 });
    const ring = vm.vcpus[0]!.ring!;
    expect(ring.push(vm.slot(1), 99999)).toEqual({ kind: 'ok' });
    const dv = new DataView(ring.bytes.buffer, ring.bytes.byteOffset, 32);
    expect(dv.getUint32(0, true)).toBe(1);
    expect(dv.getUint32(4, true)).toBe(1);
    expect(dv.getBigUint64(8, true)).toBe(99999n);
    expect(dv.getUint32(16, true)).toBe(0); // the next entry is untouched
    expect([ring.dirtyIndex, ring.used, ring.pushes]).toEqual([1, 1, 1]);
  });

  it('wraps the array index while the counters run free', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 1000 }], vcpus: 1 });
    const ring = vm.vcpus[0]!.ring!;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 150; i++) ring.push(vm.slot(0), i);
      ring.harvest();
      vm.resetDirtyRings();
    }
    expect([ring.dirtyIndex, ring.resetIndex, ring.fetchIndex, ring.used]).toEqual([450, 450, 450, 0]);
    ring.push(vm.slot(0), 7);
    const dv = new DataView(ring.bytes.buffer, ring.bytes.byteOffset + (450 % 256) * 16, 16);
    expect([dv.getUint32(0, true), dv.getBigUint64(8, true)]).toEqual([1, 7n]);
  });

  it('rejects a page outside the slot, naming it', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 10 }], vcpus: 1 });
    expect(() => vm.vcpus[0]!.ring!.push(vm.slot(0), 10)).toThrow(/page must be between 0 and 9.*slot 0 has 10 pages/);
    expect(vm.vcpus[0]!.ring!.dirtyIndex).toBe(0);
  });
});
