/**
 * Conformance, dirty ring: the same writes on real KVM and on both engines give the same
 * entries in the same order, the same soft-full exits after the same number of completed
 * writes, and the same re-arming after a reset.
 */
import { expect, it } from 'vitest';
import { describeOnKvm, observe } from './support/conformance.ts';

describeOnKvm('conformance: dirty ring on real KVM and the model', () => {
  it('entries arrive in write order, once per page per round, across slots; a second vCPU logs nothing for a dirty page', async () => {
    const seen = await observe({ dirtyRing: { entries: 1024 }, slots: [{ pages: 300 }, { pages: 70 }], vcpus: 2 }, (vm) => {
      const [a, b] = vm.vcpus;
      const kinds = [[0, 5], [0, 299], [1, 69], [0, 5], [1, 0], [0, 64]].map(([s, p]) => a!.write(vm.slot(s!), p!).kind);
      kinds.push(b!.write(vm.slot(0), 5).kind, b!.write(vm.slot(0), 6).kind);
      return { kinds, a: a!.ring!.harvest().map((e) => [e.slotId, e.offset]), b: b!.ring!.harvest().map((e) => [e.slotId, e.offset]) };
    });
    expect(seen.kvm).toEqual({
      kinds: ['ring', 'ring', 'ring', 'clean', 'ring', 'ring', 'clean', 'ring'],
      a: [[0, 5n], [0, 299n], [1, 69n], [1, 0n], [0, 64n]],
      b: [[0, 6n]],
    });
    expect(seen.wasm).toEqual(seen.kvm);
    expect(seen.js).toEqual(seen.kvm);
  });

  it('3000 writes through a 1024 ring: exits after 959, 1918, 2877 completed writes; re-entry without a reset exits at once', async () => {
    const seen = await observe({ dirtyRing: { entries: 1024 }, slots: [{ pages: 4096 }], vcpus: 1 }, (vm) => {
      const cpu = vm.vcpus[0]!;
      const exits: number[] = [];
      const logged: number[] = [];
      const again: string[] = [];
      let completed = 0;
      for (let page = 0; page < 3000; ) {
        const o = cpu.write(vm.slot(0), page);
        if (o.completed) {
          completed++;
          page++;
        }
        if (o.kind === 'ring-soft-full') {
          exits.push(completed);
          const r = cpu.write(vm.slot(0), 3500); // no reset yet: the vCPU cannot enter
          again.push(`${r.kind}/${r.completed}`);
          logged.push(...cpu.ring!.harvest().map((e) => Number(e.offset)));
          vm.resetDirtyRings();
        }
      }
      logged.push(...cpu.ring!.harvest().map((e) => Number(e.offset)));
      return { exits, again, twice: logged.filter((p, i) => logged.indexOf(p) !== i), logged: logged.length };
    });
    expect(seen.kvm).toEqual({ exits: [959, 1918, 2877], again: ['ring-full/false', 'ring-full/false', 'ring-full/false'], twice: [959, 1918, 2877], logged: 3003 });
    expect(seen.wasm).toEqual(seen.kvm);
    expect(seen.js).toEqual(seen.kvm);
  });

  it('harvesting re-arms nothing; a reset re-arms exactly the pages it reset', async () => {
    const seen = await observe({ dirtyRing: { entries: 1024 }, slots: [{ pages: 200 }], vcpus: 1 }, (vm) => {
      const cpu = vm.vcpus[0]!;
      const s = vm.slot(0);
      const w = (pages: number[]) => pages.map((p) => cpu.write(s, p).kind);
      const first = w([1, 2, 3]);
      const harvested = cpu.ring!.harvest(2).length; // 1 and 2 harvested, 3 left DIRTY
      const afterHarvest = w([1, 2, 3]);
      const reset = vm.resetDirtyRings();
      const afterReset = w([1, 2, 3]);
      return { first, harvested, afterHarvest, reset, afterReset };
    });
    expect(seen.kvm).toEqual({ first: ['ring', 'ring', 'ring'], harvested: 2, afterHarvest: ['clean', 'clean', 'clean'], reset: 2, afterReset: ['ring', 'ring', 'clean'] });
    expect(seen.wasm).toEqual(seen.kvm);
    expect(seen.js).toEqual(seen.kvm);
  });
});
