/**
 * Conformance, forged ring entries: userspace rewrites harvested entries before
 * KVM_RESET_DIRTY_RINGS, and the pages the reset re-armed (seen by writing them again) and the
 * count it returned are the same on real KVM and on both engines, for every class of forgery.
 */
import { expect, it } from 'vitest';
import type { Vm } from '../src/index.ts';
import { describeOnKvm, observe, scribble } from './support/conformance.ts';

const PAGES = 130;
const RESET = 2;
type Forge = { flags?: number; slot?: number; offset?: bigint };

const cases: { name: string; writes: number[]; forge: Record<number, Forge>; rearmed: number[]; reset: number }[] = [
  { name: 'unknown slot id: its batch dropped, the neighbours re-armed', writes: [0, 1, 2], forge: { 1: { slot: 7 } }, rearmed: [0, 2], reset: 3 },
  { name: 'address space 1: its batch dropped', writes: [0, 1, 2], forge: { 1: { slot: 0x10000 } }, rearmed: [0, 2], reset: 3 },
  { name: 'offset at the slot end: its batch dropped', writes: [0, 1, 2], forge: { 1: { offset: BigInt(PAGES) } }, rearmed: [0, 2], reset: 3 },
  { name: 'a mask running past the slot end drops the whole batch, valid pages included', writes: [100, 101], forge: { 1: { offset: BigInt(PAGES + 10) } }, rearmed: [], reset: 2 },
  { name: 'offset 2^64-1 coalesces backwards with page 0 and drops the batch', writes: [0, 1, 2], forge: { 1: { offset: 2n ** 64n - 1n } }, rearmed: [], reset: 3 },
  { name: 'the wrapped pair 2^64-63 then 0 is dropped (the offset-wrap fix)', writes: [5, 6], forge: { 0: { offset: 2n ** 64n - 63n }, 1: { offset: 0n } }, rearmed: [], reset: 2 },
  { name: 'duplicates coalesce and re-arm once', writes: [3, 4, 5], forge: { 1: { offset: 3n }, 2: { offset: 3n } }, rearmed: [3], reset: 3 },
  { name: 'an entry without RESET ends the walk', writes: [0, 1, 2], forge: { 1: { flags: 1 } }, rearmed: [0], reset: 1 },
  { name: 'flags 3 counts as harvested', writes: [0, 1, 2], forge: { 1: { flags: 3 } }, rearmed: [0, 1, 2], reset: 3 },
];

function forgeAndReset(vm: Vm, writes: number[], forge: Record<number, Forge>) {
  const cpu = vm.vcpus[0]!;
  const slot = vm.slot(0);
  for (const p of writes) cpu.write(slot, p);
  const taken = cpu.ring!.harvest();
  taken.forEach((e, i) => {
    const f = forge[i] ?? {};
    scribble(cpu.ring!.bytes, i, { flags: f.flags ?? RESET, slot: f.slot ?? e.slot, offset: f.offset ?? e.offset });
  });
  const reset = vm.resetDirtyRings();
  const rearmed = writes.filter((p) => cpu.write(slot, p).kind === 'ring');
  return { reset, rearmed: [...new Set(rearmed)].sort((a, b) => a - b) };
}

describeOnKvm('conformance: forged ring entries on real KVM and the model', () => {
  it.each(cases)('$name', async ({ writes, forge, rearmed, reset }) => {
    const seen = await observe({ dirtyRing: { entries: 1024 }, slots: [{ pages: PAGES }], vcpus: 1 }, (vm) => forgeAndReset(vm, writes, forge));
    expect(seen.kvm).toEqual({ reset, rearmed });
    expect(seen.wasm).toEqual(seen.kvm);
    expect(seen.js).toEqual(seen.kvm);
  });

  it('a descending run of 100 pages: every page re-armed', async () => {
    const pages = Array.from({ length: 100 }, (_, i) => 99 - i);
    const seen = await observe({ dirtyRing: { entries: 1024 }, slots: [{ pages: PAGES }], vcpus: 1 }, (vm) => forgeAndReset(vm, pages, {}));
    expect(seen.kvm).toEqual({ reset: 100, rearmed: [...pages].reverse() });
    expect(seen.wasm).toEqual(seen.kvm);
    expect(seen.js).toEqual(seen.kvm);
  });
});
