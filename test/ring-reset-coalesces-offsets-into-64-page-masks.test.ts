/**
 * The reset walk coalesces entries of one slot into (base, 64-bit mask) batches: forward
 * hits within 64 pages, duplicates, and backward visits that rebase when no bit falls off.
 * A gap of 64 or more, or a slot change, flushes the batch (dirty-tracking.md section 6).
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../src/index.ts';
import { engines } from './support/engines.ts';

const cases: { name: string; offsets: number[]; batches: number }[] = [
  { name: 'sequential run of 64', offsets: Array.from({ length: 64 }, (_, i) => 100 + i), batches: 1 },
  { name: 'sequential run of 65', offsets: Array.from({ length: 65 }, (_, i) => 100 + i), batches: 2 },
  { name: 'forward delta 63 joins', offsets: [100, 163], batches: 1 },
  { name: 'forward delta 64 flushes', offsets: [100, 164], batches: 2 },
  { name: 'duplicates are free', offsets: [100, 100, 100, 101, 100], batches: 1 },
  { name: 'descending run of 64 rebases', offsets: Array.from({ length: 64 }, (_, i) => 300 - i), batches: 1 },
  { name: 'backward 63 rebases when nothing falls off', offsets: [200, 137], batches: 1 },
  { name: 'backward rebase refused when the top bit would fall off', offsets: [200, 263, 199], batches: 2 },
  { name: 'backward delta 64 flushes', offsets: [200, 136], batches: 2 },
];

describe.each(engines)('$engine engine', ({ engine }) => {
  it.each(cases)('$name: written through the fault path, every page re-armed', async ({ offsets }) => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 1000 }], vcpus: 1 });
    const slot = vm.slot(0);
    const cpu = vm.vcpus[0]!;
    for (const o of offsets) cpu.write(slot, o); // each distinct page logs once
    const distinct = new Set(offsets);
    for (const o of distinct) expect(slot.isArmed(o)).toBe(false);
    cpu.ring!.harvest();
    expect(vm.resetDirtyRings()).toBe(distinct.size);
    for (const o of distinct) expect(slot.isArmed(o)).toBe(true);
    expect(slot.isArmed(99)).toBe(true); // untouched neighbours stay armed too
  });

  it.each(cases)('$name: pushed alone, $batches batch(es)', async ({ offsets, batches }) => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 1000 }], vcpus: 1 });
    const ring = vm.vcpus[0]!.ring!;
    for (const o of offsets) ring.push(vm.slot(0), o);
    ring.harvest();
    expect(vm.resetDirtyRings()).toBe(offsets.length);
    expect(ring.resetBatches).toBe(batches);
  });

  it('a slot change flushes the batch', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 100 }, { pages: 100 }], vcpus: 1 });
    const ring = vm.vcpus[0]!.ring!;
    ring.push(vm.slot(0), 10);
    ring.push(vm.slot(1), 11);
    ring.push(vm.slot(0), 12);
    ring.harvest();
    vm.resetDirtyRings();
    expect(ring.resetBatches).toBe(3);
  });
});
