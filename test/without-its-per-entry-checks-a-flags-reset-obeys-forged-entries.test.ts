/**
 * What the flags protocol's per-entry checks prevent, shown by taking them out of the reference
 * model (test/support/reference-model.ts, which both engines match step for step in
 * engines-agree-with-reference-model): kvm_reset_dirty_gfn's validation of every batch, and the
 * bound on the walk (KVM's INT_MAX count and pending-signal check; the model's limit). Without
 * them, forged entries re-arm pages outside the slot they name, in the next slot's bitmap and
 * past every slot (in KVM, kernel memory), and a thread that keeps marking the next entry RESET
 * keeps one reset walking for as long as it likes. With them, the same input is rejected and
 * bounded, and the engines do exactly that. The shared-indices reset, under the same kind of
 * hostile thread, walks only to the fetch_index it read once: its one checked input.
 */
import { describe, expect, it } from 'vitest';
import { ABI, createVm } from '../src/index.ts';
import { engines, scribble } from './support/engines.ts';
import { RefVm } from './support/reference-model.ts';

const SLOTS = [130, 64];
const RING = 1024;
/** Forged RESET entries: just past slot 0 (twice, one batch), the wrapped pair of KVM's 2026 fix, a slot that does not exist. */
const FORGED = [
  { slot: 0, offset: 130n },
  { slot: 0, offset: 150n },
  { slot: 0, offset: 2n ** 64n - 63n },
  { slot: 0, offset: 0n },
  { slot: 7, offset: 5n },
];

/** vCPU 1 disarms every page (its entries stay DIRTY, unharvested); vCPU 0's ring holds the forged entries, marked RESET. */
function hostileRef(): RefVm {
  const ref = new RefVm({ slots: SLOTS, vcpus: 2, ring: { entries: RING, pml: false } });
  SLOTS.forEach((pages, s) => {
    for (let p = 0; p < pages; p++) ref.write(1, s, p);
  });
  FORGED.forEach((e, i) => (ref.rings[0]!.gfns[i] = { flags: ABI.GFN_F_RESET, ...e }));
  return ref;
}

const armedPages = (ref: RefVm) => ref.slots.map((s) => s.armed.flatMap((a, p) => (a ? [p] : [])));

describe('forged slot and offset', () => {
  it('with the checks: every batch rejected, nothing re-armed (the reference model)', () => {
    const ref = hostileRef();
    expect(ref.reset()).toBe(FORGED.length);
    expect(ref.rejectedBatches).toBe(3); // (130, 150) past slot 0; the wrapped pair; slot 7
    expect(armedPages(ref)).toEqual([[], []]);
    expect(ref.strayRearms).toEqual([]);
  });

  it.each(engines)('with the checks: the $engine engine does the same', async ({ engine }) => {
    const vm = await createVm({ engine, dirtyRing: { entries: RING }, slots: SLOTS.map((pages) => ({ pages })), vcpus: 2 });
    SLOTS.forEach((pages, s) => {
      for (let p = 0; p < pages; p++) vm.vcpus[1]!.write(vm.slot(s), p);
    });
    FORGED.forEach((e, i) => scribble(vm.vcpus[0]!.ring!.bytes, i, { flags: ABI.GFN_F_RESET, ...e }));
    expect(vm.resetDirtyRings()).toBe(FORGED.length);
    expect(vm.stats.rejectedBatches).toBe(3);
    expect(SLOTS.map((pages, s) => Array.from({ length: pages }, (_, p) => p).filter((p) => vm.slot(s).isArmed(p)))).toEqual([[], []]);
  });

  it('without them: slot 0\'s forged offsets re-arm slot 1\'s pages, and pages past every slot', () => {
    const ref = hostileRef();
    expect(ref.reset(0x7fffffff, { unchecked: true })).toBe(FORGED.length);
    // 130 and 150 land 0 and 20 pages into slot 1; the wrapped pair re-arms 2^64-63 (past
    // everything) and, its top bit wrapping to 0, slot 0's page 0; slot 7 lies past every slot.
    expect(armedPages(ref)).toEqual([[0], [0, 20]]);
    expect(ref.strayRearms).toEqual([2n ** 64n - 63n, BigInt(SLOTS[0]! + SLOTS[1]! + 5)]);
    expect(ref.rejectedBatches).toBe(0);
  });
});

describe('a thread that marks the next entry RESET before each one is read', () => {
  const ROUNDS = 5000;
  /** The hostile thread: for its first ROUNDS chances, the entry about to be read is made RESET, naming a real page. */
  const marker = (ref: RefVm) => {
    let rounds = 0;
    return (ring: number, resetIndex: number) => {
      if (ring !== 0 || rounds >= ROUNDS) return;
      rounds++;
      const r = ref.rings[0]!;
      r.gfns[resetIndex % r.entries] = { flags: ABI.GFN_F_RESET, slot: 0, offset: BigInt(resetIndex % SLOTS[0]!) };
    };
  };

  it('with the bound, one reset walks as far as its limit and no further', () => {
    const ref = hostileRef();
    expect(ref.reset(3000, { between: marker(ref) })).toBe(3000);
  });

  it('without it, one reset walks as long as the thread keeps going: here five rings', () => {
    const ref = hostileRef();
    expect(ref.reset(0x7fffffff, { unchecked: true, between: marker(ref) })).toBe(ROUNDS);
  });

  it('shared indices: the same thread, rewriting fetch_index before every entry, gets the one ring-bounded walk it had', () => {
    const ref = new RefVm({ slots: SLOTS, vcpus: 1, ring: { entries: RING, pml: false }, ringProtocol: 'indices' });
    for (let p = 0; p < 10; p++) ref.write(0, 0, p);
    ref.harvest(0, RING); // fetch_index 10
    let rounds = 0;
    const hostile = () => {
      rounds++;
      ref.rings[0]!.fetchIndex = (ref.rings[0]!.resetIndex + 100_000) % 2 ** 32; // far past a ring
    };
    expect(ref.reset(0x7fffffff, { between: hostile })).toBe(10);
    expect(rounds).toBe(11); // before each of the 10 entries, and before the look that found the walk done
    expect(ref.reset()).toBe('einval'); // what it wrote is checked at the next reset
  });
});
