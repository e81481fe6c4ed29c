/**
 * A vCPU thread on the kvm backend: KVM_RUN of the guest's run loop (guest.S), one vCPU per
 * thread, since KVM_RUN blocks its thread. Between entries it does what the model's vCPU
 * thread does between slices, over the same control words: answer kicks, take
 * KVM_EXIT_DIRTY_RING_FULL and wait for a reset, pause and stop when the host says so, and
 * count writes, full exits and stalls. Kicks and run-state changes reach the guest through its
 * stop word (threads/control.ts); a ring-full exit ends KVM_RUN by itself, before the store it
 * interrupted, which the guest retries when it next runs. Every wait is bounded; a wait that
 * times out blames the thread that did not answer.
 */
import { workerData, parentPort } from 'node:worker_threads';
import { GuestRun } from '../backend/kvm/guest-run.ts';
import { loadLibc } from '../backend/kvm/libc.ts';
import { joinArena } from '../kvm/arena.ts';
import { ABI, stallBucket } from '../layout.ts';
import { Control } from '../threads/control.ts';
import type { Blamed, KvmVcpuWorkerData, VcpuMessage } from '../threads/protocol.ts';
import { injectVcpu } from './inject.ts';
import { Pacer } from './pacer.ts';
import { Blame } from '../threads/blame.ts';

const data = workerData as KvmVcpuWorkerData;
const arena = joinArena(data.arena);
const { vm } = arena;
const c = new Control(arena);
const id = data.vcpu;
const me = arena.vcpus[id]!;
const who = `vCPU ${id}`;
const guest = new GuestRun(await loadLibc(), data.kvm.vm, data.kvm.guest);
const g = guest.gcb(id);
const cpu = guest.cpu(id);
const pacer = new Pacer(data.writeRate);
const WRITES_MASK = (1 << ABI.SLICE_SHIFT) - 1;
/** How long a blocked vCPU spins on its resume bell before sleeping (a futex wake-up costs tens of µs). */
const SPIN_MS = 0.05;
/** Longest sleep: a blocked vCPU tries KVM_RUN again at least this often, pauses and stops reach it as often. */
const NAP_MS = 5;
const post = (m: VcpuMessage) => parentPort!.postMessage(m);


/** Since when the vCPU has been in a ring-full exit; undefined while it can run. */
let blockedSince: number | undefined;
/** The resume bell as it was at that exit: a reset since rings it. */
let bellAtExit = 0;
/** One KVM_RUN of at most `max` writes, as a slice: reason << SLICE_SHIFT | writes (test hooks wrap it). */
const slice = injectVcpu(enter, data.inject, id, who, () => vm.iteration);

me.threadState = ABI.THREAD_RUNNING;
try {
  post({ kind: 'ready', vcpus: [id] });
  runLoop();
} catch (err) {
  const blamed: Blamed = err instanceof Blame ? err.blamed : { thread: 'vcpu', vcpu: id };
  const message = err instanceof Error ? err.message : String(err);
  post({ kind: 'blame', blamed, message: err instanceof Blame || message.startsWith(who) ? message : `${who}: ${message}` });
} finally {
  c.markExited(id);
  cpu.close();
}

function runLoop(): void {
  for (;;) {
    // Clear the stop word before reading why to stop: whoever sets it after this has already
    // set the word it stops for, and this vCPU leaves its guest again to read it.
    g.set('STOP', 0);
    const epoch = vm.runEpoch;
    const state = vm.runState;
    if (state === ABI.RUN_ABORTED) return;
    answerKick();
    if (state !== ABI.RUN_RUNNING) {
      // A store interrupted by a full ring completes before the pause is acknowledged, so the
      // round's last collection sees the page it logged holding this round's stamp.
      if (blockedSince !== undefined) {
        if (idle() === 'epoch') continue;
        g.set('STOP', 1);
        run(1);
        if (blockedSince !== undefined) continue;
      }
      pacer.stop();
      acknowledge(epoch);
      if (state === ABI.RUN_STOPPED) return;
      waitForEpochAfter(epoch);
      continue;
    }
    acknowledge(epoch);
    if (blockedSince !== undefined && idle() === 'epoch') continue;
    const max = pacer.allowance(data.sliceWrites);
    if (max === 0) {
      napUntilDue();
      continue;
    }
    run(max);
  }
}

/** KVM_RUN once with at most `max` writes left; a ring-full exit starts (or continues) a stall. */
function run(max: number): void {
  const wasBlocked = blockedSince !== undefined;
  const enteredAt = performance.now();
  const r = slice(max);
  const written = r & WRITES_MASK;
  pacer.wrote(written);
  const full = r >>> ABI.SLICE_SHIFT === ABI.SLICE_RING_FULL;
  // KVM exits again at once, doing nothing, while the ring is still at its soft limit.
  if (wasBlocked && full && written === 0) return void c.ring(c.vmWord('collectorBell'));
  if (wasBlocked) endStall(enteredAt);
  if (full) fullExit();
}

function enter(max: number): number {
  g.set('STAMP', vm.iteration);
  g.set('LEFT', max);
  const before = g.get('WRITES');
  const exit = cpu.enter();
  const writes = g.get('WRITES');
  me.writes = writes;
  me.wPasses = g.get('PASSES');
  return ((exit === 'ring-full' ? ABI.SLICE_RING_FULL : ABI.SLICE_DONE) << ABI.SLICE_SHIFT) | (writes - before);
}

/** KVM_EXIT_DIRTY_RING_FULL: ring the collector and wait for a reset before running again. */
function fullExit(): void {
  blockedSince = performance.now();
  bellAtExit = me.resumeBell;
  me.fullExits++;
  c.ring(c.vmWord('collectorBell'));
}

function endStall(at: number): void {
  const us = Math.max(0, (at - blockedSince!) * 1000);
  me.stallUs += Math.round(us);
  arena.u32[(arena.plan.stallHists[id]! >>> 2) + stallBucket(us)]!++; // only this thread writes it
  blockedSince = undefined;
}

/** The vCPU is out of its guest here: a kick is answered at once (no PML on this host). */
function answerKick(): void {
  const req = me.kickReq;
  if (req === me.kickAck) return;
  me.kickAck = req;
  c.wake(c.vcpuWord(id, 'kickAck'));
}

function acknowledge(epoch: number): void {
  if (me.epochAck === epoch) return;
  me.epochAck = epoch;
  c.wake(c.vcpuWord(id, 'epochAck'));
}

/**
 * In a ring-full exit: wait (spinning briefly, then sleeping) until a reset rings the resume
 * bell, the run state changes or a nap passes; then the caller tries KVM_RUN again, which says
 * whether the ring has room. A reset that never comes blames the collector.
 */
function idle(): 'reset' | 'epoch' | 'nap' {
  const now = performance.now();
  if (now - blockedSince! > data.fullWaitTimeoutMs) {
    throw new Blame({ thread: 'collector' }, `the collector did not reset ${who}'s full ring within ${data.fullWaitTimeoutMs} ms`);
  }
  if (me.resumeBell !== bellAtExit) return 'reset';
  c.ring(c.vmWord('collectorBell'));
  const epoch = vm.runEpoch;
  const spinUntil = now + SPIN_MS;
  for (let i = 0; me.resumeBell === bellAtExit; i++) {
    if (vm.runEpoch !== epoch || me.kickReq !== me.kickAck) return 'epoch';
    if ((i & 255) === 255 && performance.now() > spinUntil) {
      c.waitSync(c.vcpuWord(id, 'resumeBell'), bellAtExit, NAP_MS);
      if (me.resumeBell !== bellAtExit) return 'reset';
      return vm.runEpoch !== epoch || me.kickReq !== me.kickAck ? 'epoch' : 'nap';
    }
  }
  return 'reset';
}

/** The write rate allows nothing yet: sleep until the next write is due. */
function napUntilDue(): void {
  const due = pacer.msUntilDue();
  if (due > 0) c.waitSync(c.vmWord('runEpoch'), vm.runEpoch, Math.min(due, NAP_MS));
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
