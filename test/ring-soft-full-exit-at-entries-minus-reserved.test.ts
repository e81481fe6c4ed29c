/**
 * The soft limit is entries - (64 + 512 with PML): the push that reaches it asks the vCPU to
 * exit (KVM_EXIT_DIRTY_RING_FULL). The hard limit is never overwritten.
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../src/index.ts';
import { engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it.each([
    { entries: 256, pml: false, soft: 192 },
    { entries: 1024, pml: true, soft: 448 },
    { entries: 4096, pml: true, soft: 3520 },
    { entries: 65536, pml: false, soft: 65472 },
  ])('$entries entries, pml $pml: soft-full on push number $soft', async ({ entries, pml, soft }) => {
    const vm = await createVm({ engine, dirtyRing: { entries, pml }, slots: [{ pages: 70000 }], vcpus: 1 });
    const cpu = vm.vcpus[0]!;
    expect(cpu.ring!.size.softLimit).toBe(soft);
    const kinds: string[] = [];
    for (let p = 0; p < soft; p++) kinds.push(cpu.ring!.push(vm.slot(0), p).kind);
    expect(kinds.slice(0, -1).every((k) => k === 'ok')).toBe(true);
    expect(kinds.at(-1)).toBe('soft-full');
    expect(cpu.ring!.isSoftFull).toBe(true);
  });

  it('without PML, the write that fills the ring to its soft limit asks for the exit', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 1000 }], vcpus: 1 });
    const kinds = Array.from({ length: 192 }, (_, p) => vm.vcpus[0]!.write(vm.slot(0), p).kind);
    expect(kinds.filter((k) => k === 'ring').length).toBe(191);
    expect(kinds.at(-1)).toBe('ring-soft-full');
  });

  it('refuses the push that would overwrite an unreset entry, and the fault leaves the page armed', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 256 }, slots: [{ pages: 1000 }], vcpus: 1 });
    const cpu = vm.vcpus[0]!;
    for (let p = 0; p < 256; p++) cpu.ring!.push(vm.slot(0), p);
    const bytes = cpu.ring!.bytes.slice();
    expect(cpu.ring!.push(vm.slot(0), 999)).toEqual({ kind: 'hard-full' });
    // The fault path refuses too (a PML drain or a raw fault can reach it): the page stays armed.
    expect(vm.arena.engine.faultWrite(cpu.ctl, vm.slot(0).desc, 500)).toBe(-1);
    // A vCPU whose ring is past its soft limit does not even enter the guest.
    expect(cpu.write(vm.slot(0), 500)).toEqual({ kind: 'ring-full', completed: false });
    expect(vm.slot(0).isArmed(500)).toBe(true);
    expect(cpu.ring!.bytes).toEqual(bytes);
    expect(cpu.ring!.hardFullRefusals).toBe(2);
    // After harvest and reset the retried write logs the page.
    cpu.ring!.harvest();
    vm.resetDirtyRings();
    expect(cpu.write(vm.slot(0), 500)).toEqual({ kind: 'ring', completed: true });
  });
});
