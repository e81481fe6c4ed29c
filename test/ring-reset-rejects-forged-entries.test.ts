/**
 * KVM_RESET_DIRTY_RINGS treats slot and offset as untrusted (kvm_reset_dirty_gfn): a forged
 * entry is counted and cleared but re-arms nothing and writes nothing outside its slot.
 */
import { describe, expect, it } from 'vitest';
import { createVm, ABI } from '../src/index.ts';
import { engines, scribble } from './support/engines.ts';

const PAGES = 130;
const forged: { name: string; entries: { slot: number; offset: bigint }[] }[] = [
  { name: 'unknown slot id', entries: [{ slot: 7, offset: 5n }] },
  { name: 'address space 1 (no SMM)', entries: [{ slot: 0x10000, offset: 5n }] },
  { name: 'offset at the slot end', entries: [{ slot: 0, offset: BigInt(PAGES) }] },
  { name: 'offset past 2^32 whose low half is in range', entries: [{ slot: 0, offset: 2n ** 32n + 5n }] },
  { name: 'mask running past the slot end', entries: [{ slot: 0, offset: BigInt(PAGES - 2) }, { slot: 0, offset: BigInt(PAGES) }] },
  { name: 'wrapped pair 2^64-63 then 0 (the May 2026 fix)', entries: [{ slot: 0, offset: 2n ** 64n - 63n }, { slot: 0, offset: 0n }] },
  { name: 'all-ones offset', entries: [{ slot: 0, offset: 2n ** 64n - 1n }] },
];

describe.each(engines)('$engine engine', ({ engine }) => {
  it.each(forged)('$name: counted, cleared, nothing re-armed, nothing outside the slot written', async ({ entries }) => {
    const vm = await createVm({ engine, dirtyRing: { entries: 1024 }, slots: [{ pages: PAGES }, { pages: 64 }], vcpus: 1 });
    const [slot, other] = [vm.slot(0), vm.slot(1)];
    const cpu = vm.vcpus[0]!;
    // Disarm every page so any re-arm would show.
    for (let p = 0; p < PAGES; p++) cpu.write(slot, p);
    for (let p = 0; p < 64; p++) cpu.write(other, p);
    cpu.ring!.harvest();
    const start = cpu.ring!.resetIndex;
    // Replace what follows reset_index with the forged entries, already marked RESET.
    entries.forEach((e, i) => scribble(cpu.ring!.bytes, (start + i) % 1024, { flags: ABI.GFN_F_RESET, ...e }));
    const before = new Uint8Array(vm.arena.memory.buffer).slice();

    const reset = vm.resetDirtyRings({ limit: entries.length });

    expect(reset).toBe(entries.length);
    expect(vm.stats.rejectedBatches).toBe(1);
    for (let p = 0; p < PAGES; p++) expect(slot.isArmed(p)).toBe(false);
    for (let p = 0; p < 64; p++) expect(other.isArmed(p)).toBe(false);
    // Only the forged entries' flags, the ring's counters and the VM's reject counters changed.
    const after = new Uint8Array(vm.arena.memory.buffer);
    const ring = vm.arena.plan.rings[0]!;
    const list = vm.arena.plan.ringList; // the verb's argument: which rings to walk
    const allowed = (i: number) =>
      (i >= ring && i < ring + 1024 * 16) || (i >= cpu.ctl && i < cpu.ctl + ABI.VCPU_STRIDE) || (i >= ABI.VM_CTL && i < ABI.VM_CTL + ABI.VM_CTL_SIZE) ||
      (i >= list && i < list + 4 * vm.maxVcpus);
    const changed: number[] = [];
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i] && !allowed(i)) changed.push(i);
    expect(changed).toEqual([]);
    entries.forEach((_, i) => expect(cpu.ring!.bytes[((start + i) % 1024) * 16]).toBe(0));
  });
});
