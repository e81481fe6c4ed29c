/**
 * A vCPU thread (KVM_RUN in a loop). It runs its workload in slices inside the engine and,
 * between slices, does what KVM does on the way in and out of guest mode: answer kicks,
 * take KVM_EXIT_DIRTY_RING_FULL and wait for a reset, drain the PML log at every exit, pause
 * and stop when the host says so. Every wait is bounded; a wait that times out blames the
 * thread that did not answer, by name.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { joinArena } from '../kvm/arena.ts';
import { dirtyRingSoftFull, dirtyRingUsed } from '../kvm/dirty-ring.ts';
import { ABI } from '../layout.ts';
import { Control } from '../threads/control.ts';
import type { Blamed, VcpuMessage, VcpuWorkerData } from '../threads/protocol.ts';
import { injectVcpu } from './inject.ts';
import { Pacer } from './pacer.ts';

const data = workerData as VcpuWorkerData;
const arena = joinArena(data.arena);
const { engine, vm } = arena;
const c = new Control(arena);
const id = data.vcpu;
const me = arena.vcpus[id]!;
const ctl = arena.plan.vcpuCtl[id]!;
const who = data.device ? `device writer ${id}` : `vCPU ${id}`;
const WRITES_MASK = (1 << ABI.SLICE_SHIFT) - 1;
const post = (m: VcpuMessage) => parentPort!.postMessage(m);
const runSlice = (max: number): number => engine.runSlice(ctl, max, vm.iteration) >>> 0;
const slice = injectVcpu(runSlice, data.inject, id, who);
const pacer = new Pacer(data.writeRate);

/** Another thread did not answer in time: the host is told which, and this thread ends. */
class Blame extends Error {
  constructor(readonly blamed: Blamed, message: string) {
    super(message);
  }
}

me.threadState = ABI.THREAD_RUNNING;
try {
  post({ kind: 'ready', vcpu: id });
  runLoop();
} catch (err) {
  if (!(err instanceof Blame)) throw err;
  post({ kind: 'blame', blamed: err.blamed, message: err.message });
} finally {
  // Before anything else can fail: the collector stops waiting for this thread's acks.
  c.markExited(id);
}

function runLoop(): void {
  for (;;) {
    const epoch = vm.runEpoch;
    const state = vm.runState;
    if (state === ABI.RUN_ABORTED) return;
    answerKick();
    if (state !== ABI.RUN_RUNNING) {
      pacer.stop();
      leaveGuest();
      acknowledge(epoch);
      if (state === ABI.RUN_STOPPED) return;
      waitForEpochAfter(epoch);
      continue;
    }
    acknowledge(epoch);
    const max = pacer.allowance(data.sliceWrites);
    if (max === 0) {
      pacer.nap();
      continue;
    }
    const r = slice(max);
    pacer.wrote(r & WRITES_MASK);
    if (r >>> ABI.SLICE_SHIFT === ABI.SLICE_RING_FULL) fullExit();
  }
}

/** Out of guest mode: drain PML, and finish a write the full ring refused, before acking. */
function leaveGuest(): void {
  const drained = engine.pmlDrain(ctl);
  if (drained === ABI.FAULT_RING_FULL || drained === ABI.FAULT_RING_SOFT_FULL || dirtyRingSoftFull(arena, id)) fullExit();
  if (me.pendingPage !== 0) {
    pacer.wrote(runSlice(1) & WRITES_MASK); // retries exactly the pending write
    if (dirtyRingSoftFull(arena, id)) fullExit();
  }
}

/** A kick leaves guest mode: PML drains, then the kick is acknowledged. */
function answerKick(): void {
  const req = me.kickReq;
  if (req === me.kickAck) return;
  leaveGuest();
  answer(req);
}

function answer(req: number): void {
  me.kickAck = req;
  c.wake(c.vcpuWord(id, 'kickAck'));
}

function acknowledge(epoch: number): void {
  if (me.epochAck === epoch) return;
  me.epochAck = epoch;
  c.wake(c.vcpuWord(id, 'epochAck'));
}

/**
 * KVM_EXIT_DIRTY_RING_FULL: ask the collector to reap, then wait until a reset brings the
 * ring below its soft limit and the PML log has drained. Kicks are answered while waiting.
 */
function fullExit(): void {
  const t0 = performance.now();
  me.fullExits++;
  const deadline = t0 + data.fullWaitTimeoutMs;
  for (;;) {
    const seen = me.resumeBell;
    if (vm.runState === ABI.RUN_ABORTED) return;
    engine.pmlDrain(ctl);
    if (!dirtyRingSoftFull(arena, id) && me.pmlIndex === 0) break;
    c.ring(c.vmWord('collectorBell'));
    // Out of guest mode with PML drained: a kick is answered at once.
    if (me.kickReq !== me.kickAck && me.pmlIndex === 0) answer(me.kickReq);
    // Spin briefly before sleeping: a reset often lands within microseconds, and a futex
    // wake-up costs tens of them, which would dominate small rings.
    if (spinUntilReset(seen)) continue;
    if (performance.now() > deadline) {
      throw new Blame({ thread: 'collector' }, `the collector did not reset ${who}'s full ring within ${data.fullWaitTimeoutMs} ms (${dirtyRingUsed(arena, id)} of ${me.entries} entries used, soft limit ${me.softLimit})`);
    }
    c.waitSync(c.vcpuWord(id, 'resumeBell'), seen, 20);
  }
  me.stallUs += Math.round((performance.now() - t0) * 1000);
}

function spinUntilReset(seen: number): boolean {
  for (let i = 0; i < 2000; i++) if (me.resumeBell !== seen) return true;
  return false;
}

function waitForEpochAfter(epoch: number): void {
  const deadline = performance.now() + data.pauseTimeoutMs;
  while (vm.runEpoch === epoch) {
    if (vm.runState === ABI.RUN_ABORTED) return;
    answerKick();
    if (performance.now() > deadline) throw new Blame({ thread: 'host' }, `the host left ${who} paused for ${data.pauseTimeoutMs} ms without resuming or stopping it`);
    c.waitSync(c.vmWord('runEpoch'), epoch, 20);
  }
}
