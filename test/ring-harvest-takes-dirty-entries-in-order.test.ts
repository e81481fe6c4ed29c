/** Userspace harvest: in order from the fetch index, DIRTY only, each marked RESET; frees nothing. */
import { describe, expect, it } from 'vitest';
import { createVm, ABI } from '../src/index.ts';
import { engines, scribble } from './support/engines.ts';

async function ringWith(engine: 'wasm' | 'js', offsets: number[]) {
  const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 1000 }], vcpus: 1 });
  const ring = vm.vcpus[0]!.ring!;
  for (const o of offsets) ring.push(vm.slot(0), o);
  return { vm, ring };
}

describe.each(engines)('$engine engine', ({ engine }) => {
  it('returns entries in push order and flips each DIRTY to RESET', async () => {
    const { ring } = await ringWith(engine, [5, 3, 900, 3]);
    const got = ring.harvest();
    expect(got.map((e) => [e.slotId, e.asId, e.offset])).toEqual([[0, 0, 5n], [0, 0, 3n], [0, 0, 900n], [0, 0, 3n]]);
    for (let i = 0; i < 4; i++) expect(ring.bytes[i * 16]).toBe(ABI.GFN_F_RESET);
    expect(ring.fetchIndex).toBe(4);
  });

  it('frees nothing: occupancy stays until the reset', async () => {
    const { vm, ring } = await ringWith(engine, [1, 2, 3]);
    ring.harvest();
    expect(ring.used).toBe(3);
    expect(vm.resetDirtyRings()).toBe(3);
    expect(ring.used).toBe(0);
  });

  it('takes a partial batch and resumes where it stopped', async () => {
    const { ring } = await ringWith(engine, [10, 11, 12, 13, 14]);
    expect(ring.harvest(2).map((e) => e.offset)).toEqual([10n, 11n]);
    expect(ring.harvest(2).map((e) => e.offset)).toEqual([12n, 13n]);
    expect(ring.harvest().map((e) => e.offset)).toEqual([14n]);
    expect(ring.harvest()).toEqual([]);
  });

  it('stops at an entry that is not DIRTY, even if later ones are', async () => {
    const { ring } = await ringWith(engine, [1, 2, 3]);
    scribble(ring.bytes, 1, { flags: ABI.GFN_F_RESET, slot: 0, offset: 2n });
    expect(ring.harvest().map((e) => e.offset)).toEqual([1n]);
    expect(ring.fetchIndex).toBe(1);
  });
});
