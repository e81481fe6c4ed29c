/**
 * With PML, a write to an armed page lands in the vCPU's 512-entry log; the log reaches the
 * ring (or bitmap) only at an exit: when it fills, or when the vCPU is kicked or stopped.
 * The ring reserves 512 entries so a drain that crosses the soft limit never hits the hard one.
 */
import { describe, expect, it } from 'vitest';
import { createVm, pagesOf } from '../src/index.ts';
import { engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it('entries wait in the log until an exit drains them, in order', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 1024, pml: true }, slots: [{ pages: 5000 }], vcpus: 1 });
    const cpu = vm.vcpus[0]!;
    expect([cpu.write(vm.slot(0), 9).kind, cpu.write(vm.slot(0), 4).kind, cpu.write(vm.slot(0), 9).kind]).toEqual(['pml', 'pml', 'clean']);
    expect([cpu.pmlEntries, cpu.ring!.used]).toEqual([2, 0]);
    expect(cpu.drainPml().kind).toBe('clean');
    expect(cpu.ring!.harvest().map((e) => e.offset)).toEqual([9n, 4n]);
  });

  it('a full log drains by itself, and a drain past the soft limit stays under the hard limit', async () => {
    const vm = await createVm({ engine, dirtyRing: { entries: 1024, pml: true }, slots: [{ pages: 5000 }], vcpus: 1 });
    const cpu = vm.vcpus[0]!;
    const kinds = Array.from({ length: 512 }, (_, p) => cpu.write(vm.slot(0), p).kind);
    expect(kinds.slice(0, 511).every((k) => k === 'pml')).toBe(true);
    expect(kinds[511]).toBe('ring-soft-full'); // 512 entries >= soft limit 448
    expect([cpu.pmlEntries, cpu.ring!.used, cpu.ring!.hardFullRefusals]).toEqual([0, 512, 0]);
  });

  it('bitmap mode: GET misses what is still in the log; after the exit it is there', async () => {
    const vm = await createVm({ engine, pml: true, slots: [{ pages: 100 }], vcpus: 1 });
    vm.vcpus[0]!.write(vm.slot(0), 7);
    expect(vm.slot(0).getDirtyLog().dirtyPages).toBe(0);
    vm.vcpus[0]!.drainPml();
    expect(pagesOf(vm.slot(0).getDirtyLog().bitmap)).toEqual([7]);
  });

  it('PML must agree with the ring reserve', async () => {
    const vm = await createVm({ engine, pml: true });
    expect(() => vm.enableDirtyRing({ entries: 4096 })).toThrow(/PML is on for this VM.*dirtyRing\.pml to true/);
    const vm2 = await createVm({ engine, dirtyRing: { entries: 4096 } });
    expect(() => vm2.enablePml()).toThrow(/without PML/);
  });
});
