/**
 * Two vCPU threads write the same pages in the same order at the same time, so they contend
 * on every page (ascending against descending would only meet once):
 * the atomic disarm lets exactly one writer log each page, so the two rings together hold
 * every page exactly once. The threads start together on an Atomics barrier, never a sleep.
 */
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { createVm } from '../src/index.ts';

// A plain-JS worker: it needs only the compiled module and the shared memory.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { memory, module, vcpu, desc, pages, n, barrier } = workerData;
const engine = new WebAssembly.Instance(module, { env: { memory } }).exports;
const gate = new Int32Array(barrier);
Atomics.add(gate, 0, 1);
Atomics.notify(gate, 0);
// Spin (bounded by time) rather than sleep, so both writers leave the gate within about a
// cache-line transfer of each other and really contend on the same pages.
const deadline = Date.now() + 10000;
while (Atomics.load(gate, 1) === 0 && Date.now() < deadline) {}
parentPort.postMessage(engine.faultWriteBatch(vcpu, desc, pages, n));
`;

// Each race is short (about 100 µs), so run several: a non-atomic disarm shows up in most.
it.each([1, 2, 3, 4])('race %i: every page lands in exactly one of the two rings', async () => {
  const N = 65_000;
  const vm = await createVm({ engine: 'wasm', dirtyRing: { entries: 65536 }, slots: [{ pages: N }], vcpus: 2 });
  const { memory, plan, u32 } = vm.arena;
  const order = plan.scratch;
  for (let i = 0; i < N; i++) u32[order / 4 + i] = i;
  const barrier = new SharedArrayBuffer(8);
  const gate = new Int32Array(barrier);
  const workers = [0, 1].map(
    (v) => new Worker(WORKER, { eval: true, workerData: { memory, module: vm.module, vcpu: vm.vcpus[v]!.ctl, desc: vm.slot(0).desc, pages: order, n: N, barrier } }),
  );
  try {
    const done = workers.map((w) => new Promise<number>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); }));
    for (let i = 0; i < 100 && Atomics.load(gate, 0) < 2; i++) Atomics.wait(gate, 0, Atomics.load(gate, 0), 100);
    expect(Atomics.load(gate, 0)).toBe(2);
    Atomics.store(gate, 1, 1);
    Atomics.notify(gate, 1);
    expect(await Promise.all(done)).toEqual([N, N]);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const logged = vm.vcpus.flatMap((c) => c.ring!.harvest().map((e) => Number(e.offset)));
  expect(logged.length).toBe(N);
  expect(new Set(logged).size).toBe(N);
  expect(vm.vcpus[0]!.ring!.pushes + vm.vcpus[1]!.ring!.pushes).toBe(N);
});
