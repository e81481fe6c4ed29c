/**
 * A vCPU thread (KVM_RUN in a loop). It runs its workload in slices inside the engine and,
 * between slices, does what KVM does on the way in and out of guest mode: answer kicks,
 * take KVM_EXIT_DIRTY_RING_FULL and wait for a reset, drain the PML log at every exit, pause
 * and stop when the host says so. Every wait is bounded; a timeout is an error naming the vCPU.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadEngineSync } from '../engine/load.ts';
import { ABI } from '../layout.ts';
import { Control } from '../threads/control.ts';
import type { VcpuMessage, VcpuWorkerData } from '../threads/protocol.ts';

const data = workerData as VcpuWorkerData;
const engine = loadEngineSync(data.arena.engine, data.arena.memory, data.arena.module);
const c = new Control(data.arena.memory.buffer);
const ctl = data.ctl;
const who = data.device ? `device writer ${data.vcpu}` : `vCPU ${data.vcpu}`;
const WRITES_MASK = (1 << ABI.SLICE_SHIFT) - 1;
const hasRing = c.vcpu(ctl, ABI.VCPU_ENTRIES) !== 0;
const softLimit = c.vcpu(ctl, ABI.VCPU_SOFT_LIMIT);
const post = (m: VcpuMessage) => parentPort!.postMessage(m);
const nap = new Int32Array(new SharedArrayBuffer(4));

c.store(ctl + ABI.VCPU_THREAD_STATE, ABI.THREAD_RUNNING);
try {
  post({ kind: 'ready', vcpu: data.vcpu });
  runLoop();
} finally {
  // Before anything else can fail: the collector stops waiting for this thread's acks.
  c.markExited(ctl);
}
post({ kind: 'exited', vcpu: data.vcpu });

function runLoop(): void {
  const started = performance.now();
  let slices = 0;
  let writes = 0;
  for (;;) {
    const epoch = c.vm(ABI.VM_RUN_EPOCH);
    const state = c.vm(ABI.VM_RUN_STATE);
    if (state === ABI.RUN_ABORTED) return;
    answerKick();
    if (state !== ABI.RUN_RUNNING) {
      leaveGuest();
      acknowledge(epoch);
      if (state === ABI.RUN_STOPPED) return;
      waitForEpochAfter(epoch);
      continue;
    }
    acknowledge(epoch);
    const r = engine.runSlice(ctl, data.sliceWrites, c.vm(ABI.VM_ITERATION)) >>> 0;
    writes += r & WRITES_MASK;
    if (++slices === data.failAfterSlices) {
      if (data.failHow === 'exit') process.exit(7);
      throw new Error(`${who}: injected failure after ${slices} slices`);
    }
    if (r >>> ABI.SLICE_SHIFT === ABI.SLICE_RING_FULL) fullExit();
    if (data.writeRate > 0) pace(started, writes);
  }
}

/** Out of guest mode: drain PML, and finish a write the full ring refused, before acking. */
function leaveGuest(): void {
  const drained = engine.pmlDrain(ctl);
  if (drained === ABI.FAULT_RING_FULL || drained === ABI.FAULT_RING_SOFT_FULL || needsReset()) fullExit();
  if (c.vcpu(ctl, ABI.VCPU_PENDING_PAGE) !== 0) {
    engine.runSlice(ctl, 1, c.vm(ABI.VM_ITERATION)); // retries exactly the pending write
    if (needsReset()) fullExit();
  }
}

function needsReset(): boolean {
  return hasRing && (engine.dirtyRingUsed(ctl) >>> 0) >= softLimit;
}

/** A kick leaves guest mode: PML drains, then the kick is acknowledged. */
function answerKick(): void {
  const req = c.vcpu(ctl, ABI.VCPU_KICK_REQ);
  if (req === c.vcpu(ctl, ABI.VCPU_KICK_ACK)) return;
  leaveGuest();
  answer(req);
}

function answer(req: number): void {
  c.store(ctl + ABI.VCPU_KICK_ACK, req);
  c.wake(ctl + ABI.VCPU_KICK_ACK);
}

function acknowledge(epoch: number): void {
  if (c.vcpu(ctl, ABI.VCPU_EPOCH_ACK) === epoch) return;
  c.store(ctl + ABI.VCPU_EPOCH_ACK, epoch);
  c.wake(ctl + ABI.VCPU_EPOCH_ACK);
}

/**
 * KVM_EXIT_DIRTY_RING_FULL: ask the collector to reap, then wait until a reset brings the
 * ring below its soft limit and the PML log has drained. Kicks are answered while waiting.
 */
function fullExit(): void {
  const t0 = performance.now();
  c.add(ctl + ABI.VCPU_FULL_EXITS, 1);
  const deadline = t0 + data.fullWaitTimeoutMs;
  for (;;) {
    const seen = c.vcpu(ctl, ABI.VCPU_RESUME_BELL);
    if (c.vm(ABI.VM_RUN_STATE) === ABI.RUN_ABORTED) return;
    engine.pmlDrain(ctl);
    if (!needsReset() && c.vcpu(ctl, ABI.VCPU_PML_INDEX) === 0) break;
    c.ring(ABI.VM_CTL + ABI.VM_COLLECTOR_BELL);
    const req = c.vcpu(ctl, ABI.VCPU_KICK_REQ);
    // Out of guest mode with PML drained: a kick is answered at once.
    if (req !== c.vcpu(ctl, ABI.VCPU_KICK_ACK) && c.vcpu(ctl, ABI.VCPU_PML_INDEX) === 0) answer(req);
    // Spin briefly before sleeping: a reset often lands within microseconds, and a futex
    // wake-up costs tens of them, which would dominate small rings.
    if (spinUntilReset(seen)) continue;
    if (performance.now() > deadline) {
      throw new Error(`${who}: ring full for ${data.fullWaitTimeoutMs} ms and the collector never reset it (used ${engine.dirtyRingUsed(ctl) >>> 0} of ${c.vcpu(ctl, ABI.VCPU_ENTRIES)})`);
    }
    c.waitSync(ctl + ABI.VCPU_RESUME_BELL, seen, 20);
  }
  c.add64(ctl + ABI.VCPU_STALL_US, Math.round((performance.now() - t0) * 1000));
}

function spinUntilReset(seen: number): boolean {
  for (let i = 0; i < 2000; i++) if (c.vcpu(ctl, ABI.VCPU_RESUME_BELL) !== seen) return true;
  return false;
}

function waitForEpochAfter(epoch: number): void {
  const deadline = performance.now() + data.pauseTimeoutMs;
  while (c.vm(ABI.VM_RUN_EPOCH) === epoch) {
    if (c.vm(ABI.VM_RUN_STATE) === ABI.RUN_ABORTED) return;
    answerKick();
    if (performance.now() > deadline) throw new Error(`${who}: paused for ${data.pauseTimeoutMs} ms with no resume or stop from the host`);
    c.waitSync(ABI.VM_CTL + ABI.VM_RUN_EPOCH, epoch, 20);
  }
}

/** Write-rate cap: sleep in short naps so kicks and pauses are still seen promptly. */
function pace(started: number, writes: number): void {
  const ahead = (writes / data.writeRate) * 1000 - (performance.now() - started);
  if (ahead > 0) Atomics.wait(nap, 0, 0, Math.min(ahead, 10));
}
