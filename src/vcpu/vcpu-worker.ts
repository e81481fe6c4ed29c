/**
 * A vCPU thread (KVM_RUN in a loop), for one or several vCPUs. It runs each vCPU's workload in
 * slices inside the engine, time-slicing them, and between slices does what KVM does on the
 * way in and out of guest mode: answer kicks, take KVM_EXIT_DIRTY_RING_FULL and wait for a
 * reset, drain the PML log at every exit, pause and stop when the host says so. Each vCPU
 * keeps its own control block, ring, exits, kicks and acknowledgements. Every wait is
 * bounded; a wait that times out blames the thread that did not answer, by name.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { joinArena } from '../kvm/arena.ts';
import { dirtyRingSoftFull, dirtyRingUsed } from '../kvm/dirty-ring.ts';
import { ABI, stallBucket } from '../layout.ts';
import type { VcpuCtl } from '../layout-fields.generated.ts';
import { Control } from '../threads/control.ts';
import type { Blamed, VcpuMessage, VcpuWorkerData } from '../threads/protocol.ts';
import { withFaultCost } from './fault-cost.ts';
import { injectVcpu, type Slice } from './inject.ts';
import { Pacer } from './pacer.ts';
import { CpuThrottle } from './cpu-throttle.ts';
import { Throttle } from './throttle.ts';
import { Blame } from '../threads/blame.ts';
import { awaitReset } from './await-reset.ts';

const data = workerData as VcpuWorkerData;
const arena = joinArena(data.arena);
const { engine, vm } = arena;
const c = new Control(arena);
const WRITES_MASK = (1 << ABI.SLICE_SHIFT) - 1;
/** How long a vCPU with nothing else to run spins on its resume bell before sleeping. */
const SPIN_MS = 0.05;
/** Longest sleep: pauses and stops reach a sleeping vCPU at least this often. */
const NAP_MS = 5;
const post = (m: VcpuMessage) => parentPort!.postMessage(m);


/** One vCPU run by this thread. */
class Cpu {
  readonly me: VcpuCtl;
  readonly ctl: number;
  readonly who: string;
  /** The engine's slice for this vCPU, with its injected faults (tests). */
  readonly slice: Slice;
  readonly retry: Slice;
  readonly pacer = new Pacer(data.writeRate);
  /** The dirty limit's hold after full exits (0 µs without a limit). */
  readonly throttle = new Throttle((ms) => void (this.me.throttleUs += Math.round(ms * 1000)));
  /** Auto-converge's CPU throttle (QEMU cpu_throttle). */
  readonly cpuThrottle = new CpuThrottle();
  /** Since when it has been in a full exit, waiting for a reset; undefined while it can run. */
  blockedSince: number | undefined;

  constructor(readonly id: number) {
    this.me = arena.vcpus[id]!;
    this.ctl = arena.plan.vcpuCtl[id]!;
    this.who = data.device ? `device writer ${id}` : `vCPU ${id}`;
    this.retry = (max) => engine.runSlice(this.ctl, max, vm.iteration) >>> 0;
    this.slice = withFaultCost(injectVcpu(this.retry, data.inject, id, this.who, () => vm.iteration), this.me, data.faultCostNs);
  }
}

const cpus = data.vcpus.map((id) => new Cpu(id));
let current: Cpu = cpus[0]!;

for (const cpu of cpus) cpu.me.threadState = ABI.THREAD_RUNNING;
try {
  post({ kind: 'ready', vcpus: data.vcpus });
  runLoop();
} catch (err) {
  // Whatever a vCPU's slice throws ends the thread and is reported against that vCPU.
  const blamed: Blamed = err instanceof Blame ? err.blamed : { thread: data.device ? 'device' : 'vcpu', vcpu: current.id };
  const message = err instanceof Blame ? err.message : `${err instanceof Error ? err.message : String(err)}`;
  post({ kind: 'blame', blamed, message: message.startsWith(current.who) || err instanceof Blame ? message : `${current.who}: ${message}` });
} finally {
  // Before anything else can fail: the collector stops waiting for these vCPUs' acks.
  for (const cpu of cpus) c.markExited(cpu.id);
}

function runLoop(): void {
  for (;;) {
    const epoch = vm.runEpoch;
    const state = vm.runState;
    if (state === ABI.RUN_ABORTED) return;
    for (const cpu of cpus) answerKick(cpu);
    if (state !== ABI.RUN_RUNNING) {
      if (!cpus.every((cpu) => leaveGuest(cpu, epoch))) {
        idle(); // a vCPU needs a reset before it can finish its refused write and acknowledge
        continue;
      }
      if (state === ABI.RUN_STOPPED) return;
      waitForEpochAfter(epoch);
      continue;
    }
    for (const cpu of cpus) acknowledge(cpu, epoch);
    if (!runSlices()) idle();
  }
}

/** One slice on every vCPU that can run; false when none could (all in full exits, or paced). */
function runSlices(): boolean {
  let ran = false;
  const epoch = vm.runEpoch;
  for (const cpu of cpus) {
    // Between two vCPUs' slices, as between two of one vCPU's: kicks answered, a pause seen.
    if (ran && vm.runEpoch !== epoch) return true;
    answerKick(cpu);
    if (cpu.blockedSince !== undefined && !unblocked(cpu)) continue;
    if (cpu.throttle.msLeft() > 0) continue;
    if (cpuThrottled(cpu)) continue;
    const max = cpu.pacer.allowance(data.sliceWrites);
    if (max === 0) continue;
    current = cpu;
    const r = cpu.slice(max);
    cpu.pacer.wrote(r & WRITES_MASK);
    if (r >>> ABI.SLICE_SHIFT === ABI.SLICE_RING_FULL) fullExit(cpu);
    ran = true;
  }
  return ran;
}

/**
 * KVM_EXIT_DIRTY_RING_FULL: the vCPU leaves guest mode and rings the collector; it runs again
 * only once a reset has brought its ring below the soft limit and its PML log has drained.
 */
function fullExit(cpu: Cpu): void {
  if (cpu.blockedSince !== undefined) return;
  cpu.blockedSince = performance.now();
  cpu.me.fullExits++;
  c.ring(c.vmWord('collectorBell'));
}

/** Whether a vCPU in a full exit may run again; if so, its stall is counted. */
function unblocked(cpu: Cpu): boolean {
  engine.pmlDrain(cpu.ctl);
  if (dirtyRingSoftFull(arena, cpu.id) || cpu.me.pmlIndex !== 0) return false;
  const us = (performance.now() - cpu.blockedSince!) * 1000;
  cpu.me.stallUs += Math.round(us);
  arena.u32[(arena.plan.stallHists[cpu.id]! >>> 2) + stallBucket(us)]!++; // only this thread writes it
  cpu.blockedSince = undefined;
  // QEMU's dirtylimit_vcpu_execute, after the reap. QEMU's vCPU reaps its own ring in microseconds;
  // here the collector does, and the wait for it is counted toward the hold, not added to it.
  cpu.throttle.hold(cpu.me.throttleUsPerFull - us);
  return true;
}

/**
 * Out of guest mode for a pause or a stop: drain PML, finish a write the full ring refused,
 * then acknowledge. False while the vCPU needs a reset to get there.
 */
function leaveGuest(cpu: Cpu, epoch: number): boolean {
  cpu.pacer.stop();
  cpu.throttle.stop();
  if (cpu.me.epochAck === epoch) return true;
  const drained = engine.pmlDrain(cpu.ctl);
  if (cpu.me.pendingPage !== 0 && !dirtyRingSoftFull(arena, cpu.id)) cpu.pacer.wrote(cpu.retry(1) & WRITES_MASK); // exactly the pending write
  if (drained === ABI.FAULT_RING_FULL || cpu.me.pmlIndex !== 0 || cpu.me.pendingPage !== 0) {
    fullExit(cpu);
    return false;
  }
  if (cpu.blockedSince !== undefined) unblocked(cpu);
  acknowledge(cpu, epoch);
  return true;
}

/** A kick leaves guest mode: PML drains, then the kick is acknowledged. */
function answerKick(cpu: Cpu): void {
  const req = cpu.me.kickReq;
  if (req === cpu.me.kickAck) return;
  engine.pmlDrain(cpu.ctl);
  if (cpu.me.pmlIndex !== 0) return fullExit(cpu); // no room to drain: answered once a reset makes room
  cpu.me.kickAck = req;
  c.wake(c.vcpuWord(cpu.id, 'kickAck'));
}

function acknowledge(cpu: Cpu, epoch: number): void {
  if (cpu.me.epochAck === epoch) return;
  cpu.me.epochAck = epoch;
  c.wake(c.vcpuWord(cpu.id, 'epochAck'));
}

/**
 * Nothing can run: wait for a reset (spinning briefly first: a reset often lands within
 * microseconds, and a futex wake-up costs tens of them, which would dominate small rings),
 * or for the next paced write to fall due. A vCPU whose reset never comes blames the
 * collector.
 */
function idle(): void {
  const blocked = cpus.find((cpu) => cpu.blockedSince !== undefined);
  if (!blocked) return napUntilDue();
  const now = performance.now();
  const late = cpus.find((cpu) => cpu.blockedSince !== undefined && now - cpu.blockedSince > data.fullWaitTimeoutMs);
  if (late) {
    throw new Blame({ thread: 'collector' }, `the collector did not reset ${late.who}'s full ring within ${data.fullWaitTimeoutMs} ms (${dirtyRingUsed(arena, late.id)} of ${late.me.entries} entries used, soft limit ${late.me.softLimit})`);
  }
  c.ring(c.vmWord('collectorBell'));
  const epoch = vm.runEpoch;
  awaitReset({
    bell: () => blocked.me.resumeBell,
    full: () => dirtyRingSoftFull(arena, blocked.id),
    called: () => vm.runEpoch !== epoch,
    now: () => performance.now(),
    sleep: (seen) => c.waitSync(c.vcpuWord(blocked.id, 'resumeBell'), seen, NAP_MS),
  }, SPIN_MS);
}

/** Auto-converge: the vCPU sleeps its share of the timeslice; its write-rate clock stops meanwhile. */
function cpuThrottled(cpu: Cpu): boolean {
  const pct = vm.throttlePct;
  if (pct === 0 && !cpu.cpuThrottle.sleeping) return false; // the common case reads no clock
  if (cpu.cpuThrottle.offFor(pct, performance.now()) === 0) return false;
  cpu.pacer.stop();
  return true;
}

/** Every vCPU is paced, throttled or held by the dirty limit: sleep until the first one may write. */
function napUntilDue(): void {
  const now = performance.now();
  const due = Math.min(...cpus.map((cpu) => Math.max(cpu.pacer.msUntilDue(), cpu.cpuThrottle.msLeft(now), cpu.throttle.msLeft())));
  if (due > 0) c.waitSync(c.vmWord('runEpoch'), vm.runEpoch, Math.min(due, NAP_MS));
}

function waitForEpochAfter(epoch: number): void {
  const deadline = performance.now() + data.pauseTimeoutMs;
  while (vm.runEpoch === epoch) {
    if (vm.runState === ABI.RUN_ABORTED) return;
    for (const cpu of cpus) answerKick(cpu);
    if (performance.now() > deadline) throw new Blame({ thread: 'host' }, `the host left ${cpus.map((x) => x.who).join(', ')} paused for ${data.pauseTimeoutMs} ms without resuming or stopping ${cpus.length > 1 ? 'them' : 'it'}`);
    c.waitSync(c.vmWord('runEpoch'), epoch, 20);
  }
}
