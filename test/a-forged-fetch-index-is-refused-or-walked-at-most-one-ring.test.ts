/**
 * Shared indices (the RFC's protocol): the one number the kernel takes from userspace is
 * fetch_index, and the reset trusts it after one check. More than the ring's size past
 * reset_index (ahead, or behind, in u32 arithmetic) is EINVAL and nothing is reset. Anything
 * else is walked, at most one ring, even past avail_index: stale entries are re-armed or
 * rejected like any entry (the ring stays writable, as in the RFC), and the vCPU is then held
 * full, so a VMM can hurt only its own guest. A thread that keeps rewriting fetch_index and the
 * entries while the test thread resets gets at most one ring per reset and no byte written
 * outside the rings' slot.
 */
import { describe, expect, it } from 'vitest';
import { ABI, createVm, KvmError, type EngineKind, type RingProtocol, type Vm } from '../src/index.ts';
import { engines, scribble } from './support/engines.ts';
import { startScribbler } from './support/scribbler.ts';

const ENTRIES = 256;
const PAGES = 300;
const cases = engines.flatMap(({ engine }) => (['indices', 'indices-apart'] as const).map((ringProtocol) => ({ engine, ringProtocol })));

/** One vCPU that wrote pages 0..9 of slot 0, harvested (fetch_index 10) and not yet reset. */
async function harvested(engine: EngineKind, ringProtocol: RingProtocol): Promise<Vm> {
  const vm = await createVm({ engine, ringProtocol, dirtyRing: { entries: ENTRIES }, slots: [{ pages: PAGES }, { pages: 64 }], vcpus: 1 });
  expect(vm.resetDirtyRings()).toBe(0); // writes the ring list once, so later byte comparisons see only what a reset does
  for (let p = 0; p < 10; p++) vm.vcpus[0]!.write(vm.slot(0), p);
  expect(vm.vcpus[0]!.ring!.harvest().length).toBe(10);
  return vm;
}

/**
 * Outside what a reset may write: the walked ring's vCPU block, the VM block, the ring list,
 * and the slots' armed bitmaps (any entry naming a real page of a real slot re-arms it, on KVM
 * too: harmless, the page only faults again).
 */
function outsideResetsReach(vm: Vm): (i: number) => boolean {
  const { plan } = vm.arena;
  const ctl = vm.vcpus[0]!.ctl;
  const inside = (i: number, at: number, n: number) => i >= at && i < at + n;
  return (i) => !(inside(i, ctl, ABI.VCPU_STRIDE) || inside(i, ABI.VM_CTL, ABI.VM_CTL_SIZE) || inside(i, plan.ringList, 4 * vm.maxVcpus)
    || plan.slots.some((r) => inside(i, r.armed, r.bitmapStride)));
}

function changedBytes(before: Uint8Array, after: Uint8Array, where: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < after.length; i++) if (after[i] !== before[i] && where(i)) out.push(i);
  return out;
}

describe.each(cases)('$engine engine, $ringProtocol', ({ engine, ringProtocol }) => {
  it.each([
    { name: 'one more than a ring ahead', delta: ENTRIES + 1 },
    { name: 'half the u32 space ahead', delta: 2 ** 31 },
    { name: 'one behind reset_index', delta: -1 },
  ])('fetch_index $name: EINVAL naming the fix, and nothing reset or written', async ({ delta }) => {
    const vm = await harvested(engine, ringProtocol);
    const ring = vm.vcpus[0]!.ring!;
    ring.publishFetchIndex((ring.resetIndex + delta + 2 ** 32) % 2 ** 32);
    const before = new Uint8Array(vm.arena.memory.buffer).slice();

    let error: unknown;
    try {
      vm.resetDirtyRings();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KvmError);
    expect((error as KvmError).code).toBe('EINVAL');
    expect((error as KvmError).message).toMatch(/vCPU 0's fetch_index \d+ is \d+ entries past its reset_index 0, more than the ring's 256: publish a fetch_index from reset_index to avail_index \(10\); nothing was reset/);
    expect(changedBytes(before, new Uint8Array(vm.arena.memory.buffer), () => true)).toEqual([]);

    ring.publishFetchIndex(10); // an honest one again: the ten harvested entries are reset
    expect(vm.resetDirtyRings()).toBe(10);
    expect(vm.slot(0).isArmed(3)).toBe(true);
  });

  it('fetch_index exactly a ring ahead, past avail_index: one ring walked, stale entries judged, the vCPU then held full', async () => {
    const vm = await harvested(engine, ringProtocol);
    const [cpu, slot] = [vm.vcpus[0]!, vm.slot(0)];
    const ring = cpu.ring!;
    for (let p = 10; p < PAGES; p++) cpu.write(slot, p); // the ring fills to its soft limit (192): the rest are refused
    // What the ring holds past avail_index is whatever was there: zeros (slot 0, page 0), and
    // here forged entries, one naming a page of slot 0 in range, the others outside every slot.
    scribble(ring.bytes, 200, { flags: 0, slot: 0, offset: 250n });
    scribble(ring.bytes, 201, { flags: 0, slot: 0, offset: BigInt(PAGES) });
    scribble(ring.bytes, 203, { flags: 0, slot: 7, offset: 1n });
    scribble(ring.bytes, 205, { flags: 0, slot: 0, offset: 5000n });
    ring.harvest(); // userspace takes what avail_index says: fetch_index = avail_index
    ring.publishFetchIndex(ring.resetIndex + ENTRIES);
    const before = new Uint8Array(vm.arena.memory.buffer).slice();

    expect(vm.resetDirtyRings()).toBe(ENTRIES);

    expect(ring.resetIndex).toBe(ENTRIES);
    expect(ring.used).toBeGreaterThanOrEqual(ENTRIES); // dirty_index - reset_index wrapped: full
    const w = cpu.write(slot, 5);
    expect(w).toMatchObject({ kind: 'ring-full', completed: false });
    expect(vm.stats.rejectedBatches).toBe(3); // offset PAGES, slot 7, offset 5000
    expect(slot.isArmed(191)).toBe(true); // the last entry pushed was reset as usual
    expect(changedBytes(before, new Uint8Array(vm.arena.memory.buffer), outsideResetsReach(vm))).toEqual([]);
  });

  it('a thread rewriting fetch_index and the entries during resets: each reset is refused or walks at most one ring, and writes nothing outside', async () => {
    const vm = await harvested(engine, ringProtocol);
    const { plan, memory } = vm.arena;
    const ctl = vm.arena.vcpus[0]!;
    const before = new Uint8Array(memory.buffer).slice();
    const hostile = await startScribbler({
      memory, ring: plan.rings[0]!, entries: ENTRIES, fetchWord: ctl.fetchAt >>> 2, resetWord: ctl.w + ABI.VCPU_RESET_INDEX / 4, resetFlags: false,
    });
    const counts: number[] = [];
    let refused = 0;
    try {
      for (let i = 0; i < 2000; i++) {
        try {
          counts.push(vm.resetDirtyRings());
        } catch (err) {
          if (!(err instanceof KvmError && err.code === 'EINVAL')) throw err;
          refused++;
        }
      }
    } finally {
      expect(await hostile.stop()).toBeGreaterThan(0);
    }
    expect(counts.length + refused).toBe(2000);
    expect(Math.max(...counts)).toBeLessThanOrEqual(ENTRIES);
    const ring = plan.rings[0]!;
    const fetchWord = ctl.fetchAt;
    const untouched = outsideResetsReach(vm);
    const notScribbled = (i: number) => untouched(i) && !(i >= ring && i < ring + ENTRIES * ABI.GFN_SIZE) && !(i >= fetchWord && i < fetchWord + 4);
    expect(changedBytes(before, new Uint8Array(memory.buffer), notScribbled)).toEqual([]);
  }, 30_000);
});
