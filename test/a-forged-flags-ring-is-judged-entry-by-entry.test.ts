/**
 * Per-entry flags (KVM's protocol): userspace writes every entry it collects, so it can rewrite
 * every entry, flags, slot and offset alike, and the reset has to judge each one. It takes only
 * entries marked RESET and stops at the first that is not, validates every coalesced batch
 * (kvm_reset_dirty_gfn), and stops after `limit` entries or on a pending signal. A ring forged
 * whole is walked whole, more than was ever harvested, every batch judged; a thread that keeps
 * rewriting entries during resets never gets a byte written outside the slots' bitmaps, and no
 * reset walks past its limit. (The shared-indices counterpart takes one number: see
 * a-forged-fetch-index-is-refused-or-walked-at-most-one-ring.)
 */
import { describe, expect, it } from 'vitest';
import { ABI, createVm, type EngineKind, type Vm } from '../src/index.ts';
import { engines, scribble } from './support/engines.ts';
import { startScribbler } from './support/scribbler.ts';

const ENTRIES = 256;
const PAGES = 300;

/** One vCPU that wrote pages 0..9 of slot 0 and harvested them, not yet reset. */
async function harvested(engine: EngineKind): Promise<Vm> {
  const vm = await createVm({ engine, dirtyRing: { entries: ENTRIES }, slots: [{ pages: PAGES }, { pages: 64 }], vcpus: 1 });
  expect(vm.resetDirtyRings()).toBe(0); // writes the ring list once, so byte comparisons see only what a reset does
  for (let p = 0; p < 10; p++) vm.vcpus[0]!.write(vm.slot(0), p);
  expect(vm.vcpus[0]!.ring!.harvest().length).toBe(10);
  return vm;
}

/** Outside what a reset may write: its ring and vCPU block, the VM block, the ring list, the slots' armed bitmaps. */
function outsideResetsReach(vm: Vm): (i: number) => boolean {
  const { plan } = vm.arena;
  const inside = (i: number, at: number, n: number) => i >= at && i < at + n;
  return (i) => !(inside(i, plan.rings[0]!, ENTRIES * ABI.GFN_SIZE) || inside(i, vm.vcpus[0]!.ctl, ABI.VCPU_STRIDE) || inside(i, ABI.VM_CTL, ABI.VM_CTL_SIZE)
    || inside(i, plan.ringList, 4 * vm.maxVcpus) || plan.slots.some((r) => inside(i, r.armed, r.bitmapStride)));
}

function changedBytes(before: Uint8Array, after: Uint8Array, where: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < after.length; i++) if (after[i] !== before[i] && where(i)) out.push(i);
  return out;
}

/** Entry i of the forged ring: an unknown slot, an offset past the slot, a real page, the wrapped offset of KVM's 2026 fix. */
function forged(i: number): { slot: number; offset: bigint } {
  return [
    { slot: 7, offset: BigInt(i) },
    { slot: 0, offset: BigInt(PAGES + 100 * i) },
    { slot: 0, offset: BigInt(i) },
    { slot: 0, offset: 2n ** 64n - 63n },
  ][i % 4]!;
}

describe.each(engines)('$engine engine', ({ engine }) => {
  it('a ring forged whole, every entry RESET: all of it walked, every batch judged, nothing outside the slots written', async () => {
    const vm = await harvested(engine);
    const ring = vm.vcpus[0]!.ring!;
    for (let p = 10; p < PAGES; p++) vm.vcpus[0]!.write(vm.slot(0), p); // disarms pages up to 191, where the ring reaches its soft limit
    for (let i = 0; i < ENTRIES; i++) scribble(ring.bytes, i, { flags: ABI.GFN_F_RESET, ...forged(i) });
    const before = new Uint8Array(vm.arena.memory.buffer).slice();

    expect(vm.resetDirtyRings()).toBe(ENTRIES); // 10 harvested, 256 walked: the flags decide

    // Each entry is a batch of its own (slot changes, or offsets too far apart): 64 name a
    // real page and re-arm it, the other 192 are rejected whole.
    expect(vm.stats.rejectedBatches).toBe(192);
    const armed = Array.from({ length: PAGES }, (_, p) => p).filter((p) => vm.slot(0).isArmed(p));
    const rearmed = Array.from({ length: 48 }, (_, k) => 4 * k + 2); // the real pages named below 192
    const neverWritten = Array.from({ length: PAGES - 192 }, (_, k) => 192 + k);
    expect(armed).toEqual([...rearmed, ...neverWritten]);
    expect(changedBytes(before, new Uint8Array(vm.arena.memory.buffer), outsideResetsReach(vm))).toEqual([]);
    expect(ring.used).toBeGreaterThanOrEqual(ENTRIES); // reset_index walked past dirty_index: the vCPU is held full
  });

  it('a thread rewriting entries as RESET during resets: every reset stops at its limit, and nothing outside the slots is written', async () => {
    const vm = await harvested(engine);
    const { plan, memory } = vm.arena;
    const before = new Uint8Array(memory.buffer).slice();
    const hostile = await startScribbler({
      memory, ring: plan.rings[0]!, entries: ENTRIES, fetchWord: 0, resetWord: vm.arena.vcpus[0]!.w + ABI.VCPU_RESET_INDEX / 4, resetFlags: true,
    });
    const counts: number[] = [];
    try {
      for (let i = 0; i < 2000; i++) counts.push(vm.resetDirtyRings({ limit: 1000 }));
    } finally {
      expect(await hostile.stop()).toBeGreaterThan(0);
    }
    expect(Math.max(...counts)).toBeLessThanOrEqual(1000);
    expect(changedBytes(before, new Uint8Array(memory.buffer), outsideResetsReach(vm))).toEqual([]);
  }, 30_000);
});
