/**
 * A threaded run on real KVM is comparable with the model's only if its guest writes the same
 * pages in the same order for the same seed. For every pattern, one vCPU's guest (guest.S
 * `run`) and the model's engine (runSlice) start from the same configureWorkload state and
 * write the same number of pages: the ring entries (every logged page in order, through
 * ring-full exits, with the tipping page logged again after each reset), every page's stamp
 * (which write touched it last) and the workload's state afterwards are equal.
 */
import { expect, it } from 'vitest';
import { createVm, PATTERNS, type Pattern, type Vm } from '../src/index.ts';
import { loadLibc } from '../src/backend/kvm/libc.ts';
import { GuestRun } from '../src/backend/kvm/guest-run.ts';
import { ABI } from '../src/layout.ts';
import { configureWorkload, workloadState, zipfCdf } from '../src/vcpu/workload.ts';
import { describeOnKvm } from './support/conformance.ts';

const PAGES = 3000;
const WRITES = 1500;
const RING = 256; // soft limit 192: several full exits on the way

interface Seen {
  readonly entries: number[];
  readonly stamps: bigint[];
  readonly state: unknown;
}

async function modelVm(pattern: Pattern, seed: number): Promise<Vm> {
  const zipfRanks = pattern === 'zipf' ? 512 : 0;
  const vm = await createVm({ dirtyRing: { entries: RING }, slots: [{ pages: PAGES, contents: true }], vcpus: 1, zipfRanks });
  const a = vm.arena;
  if (zipfRanks) a.u32.set(zipfCdf(zipfRanks, 1.1), a.plan.zipf >>> 2);
  configureWorkload(a.vcpus[0]!, vm.slot(0).desc, { start: 0, pages: PAGES }, { pattern, seed, stride: 37 }, { table: a.plan.zipf, ranks: zipfRanks }, 0, 1);
  return vm;
}

/** Every page's stamp: the low half the round, the high half the index of the write that touched it last. */
function stamps(vm: Vm): bigint[] {
  const c = vm.slot(0).contents!;
  const words = new BigUint64Array(c.buffer, c.byteOffset, c.byteLength / 8);
  return Array.from({ length: PAGES }, (_, p) => words[p * (ABI.PAGE_SIZE / 8)]!);
}

/** The model: slices until WRITES writes completed, harvesting and resetting at every full exit. */
function onModel(vm: Vm): Seen {
  const a = vm.arena;
  const entries: number[] = [];
  for (let done = 0; done < WRITES; ) {
    const r = a.engine.runSlice(a.plan.vcpuCtl[0]!, WRITES - done, 3) >>> 0;
    done += r & ((1 << ABI.SLICE_SHIFT) - 1);
    entries.push(...vm.vcpus[0]!.ring!.harvest().map((e) => Number(e.offset)));
    vm.resetDirtyRings();
  }
  return { entries, stamps: stamps(vm), state: workloadState(a.vcpus[0]!) };
}

/** Real KVM: the guest from the same state, KVM_RUN until WRITES completed, harvesting and resetting at every ring-full exit. */
async function onKvm(model: Vm, pattern: Pattern): Promise<Seen> {
  const vm = await createVm({ backend: 'kvm', dirtyRing: { entries: RING }, slots: [{ pages: PAGES }], vcpus: 1 });
  try {
    const ctl = model.arena.vcpus[0]!;
    const run = new GuestRun(await loadLibc(), vm.kvm.handle(), { vcpus: 1, slot: 0, truthPages: 0, zipfRanks: ctl.wZipfN });
    if (pattern === 'zipf') run.writeZipf(zipfCdf(ctl.wZipfN, 1.1));
    run.configure(0, workloadState(ctl));
    const g = run.gcb(0);
    g.set('STAMP', 3);
    g.set('LEFT', WRITES);
    const cpu = run.cpu(0);
    const entries: number[] = [];
    while (g.get('LEFT') > 0) {
      cpu.enter();
      entries.push(...vm.vcpus[0]!.ring!.harvest().map((e) => Number(e.offset)));
      vm.resetDirtyRings();
    }
    cpu.close();
    const w = workloadState(ctl);
    const state = { ...w, cursor: g.get('CURSOR'), passes: g.get('PASSES'), rng: g.getBig('RNG') };
    return { entries, stamps: stamps(vm), state };
  } finally {
    vm.close();
  }
}

describeOnKvm('the kvm guest and the model write the same pages in the same order', () => {
  it.each(PATTERNS)('%s', async (pattern) => {
    const before = await modelVm(pattern, 11);
    const kvm = await onKvm(before, pattern); // reads the configured state before the model runs
    const model = onModel(before);
    expect(model.entries.length).toBeGreaterThan(RING); // through full exits
    expect(kvm.entries).toEqual(model.entries);
    expect(kvm.stamps).toEqual(model.stamps);
    expect(kvm.state).toEqual(model.state);
  });
});
