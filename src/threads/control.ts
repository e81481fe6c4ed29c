/**
 * The protocol's shared words, from any thread: the run state and its epoch, and the
 * doorbells. A doorbell is a counter that only moves forward (Atomics.add + notify); a waiter
 * waits on the value it last saw, re-reads, and every wait has a timeout, so a lost wake-up
 * costs at most one timeout.
 */
import type { Arena } from '../kvm/arena.ts';
import { ABI } from '../layout.ts';
import { VCPU_WORD, VM_WORD } from '../layout-fields.generated.ts';

type VmBell = 'runEpoch' | 'collectorBell';
type VcpuBell = 'resumeBell' | 'kickReq' | 'kickAck' | 'epochAck';

/**
 * On the kvm backend a vCPU inside KVM_RUN reads none of these words: its guest polls a stop
 * word after every write (a VMM would send its thread a signal, but Node owns the process's
 * signals). Every kick and every run-state change that must get a vCPU out of guest mode sets
 * it too, after the word it announces, so the vCPU that leaves sees the reason.
 */
export interface GuestStops {
  stop(vcpu: number): void;
  stopAll(): void;
}

export class Control {
  constructor(readonly arena: Arena, readonly guest?: GuestStops) {}

  /** u32 index of a VM-block doorbell. */
  vmWord(bell: VmBell): number {
    return this.arena.vm.w + VM_WORD[bell];
  }

  /** u32 index of a vCPU-block doorbell. */
  vcpuWord(vcpu: number, bell: VcpuBell): number {
    return this.arena.vcpus[vcpu]!.w + VCPU_WORD[bell];
  }

  /** Bump a doorbell and wake everyone waiting on it. */
  ring(word: number): void {
    Atomics.add(this.arena.i32, word, 1);
    Atomics.notify(this.arena.i32, word);
  }

  /** Wake waiters on a word without changing it (a kick of a vCPU that sleeps there). */
  wake(word: number): void {
    Atomics.notify(this.arena.i32, word);
  }

  /** Kick vCPU `vcpu` out of guest mode: bump its kick request (and stop its guest, on kvm). */
  kick(vcpu: number): void {
    this.ring(this.vcpuWord(vcpu, 'kickReq'));
    this.guest?.stop(vcpu);
  }

  /** Block until the word differs from `seen` or `ms` pass. Worker threads only. */
  waitSync(word: number, seen: number, ms: number): void {
    Atomics.wait(this.arena.i32, word, seen | 0, ms);
  }

  /** The same, without blocking the event loop. */
  async wait(word: number, seen: number, ms: number): Promise<void> {
    const r = Atomics.waitAsync(this.arena.i32, word, seen | 0, ms);
    if (r.async) await r.value;
  }

  /**
   * Publish a run-state change (RUN_*): the state first, then the epoch doorbell. A vCPU
   * reads the epoch before the state, so if it sees the new state with the old epoch it acts
   * on the state and acknowledges the old epoch, then wakes on the bump and acknowledges the
   * new one; no acknowledgement is ever skipped. Returns the new epoch.
   */
  setRunState(state: number): number {
    this.arena.vm.runState = state;
    this.ring(this.vmWord('runEpoch'));
    // Running needs no stop: a vCPU that is told to run is outside its guest already.
    if (state !== ABI.RUN_RUNNING) this.guest?.stopAll();
    return this.arena.vm.runEpoch;
  }

  get runState(): number {
    return this.arena.vm.runState;
  }

  /** A vCPU thread is gone: nobody waits for its kick or pause acknowledgements any more. */
  markExited(vcpu: number): void {
    this.arena.vcpus[vcpu]!.threadState = ABI.THREAD_EXITED;
    this.wake(this.vcpuWord(vcpu, 'kickAck'));
    this.wake(this.vcpuWord(vcpu, 'epochAck'));
  }

  /** The vCPU has acted on run epoch `epoch`, or its thread no longer runs. */
  acknowledged(vcpu: number, epoch: number): boolean {
    const c = this.arena.vcpus[vcpu]!;
    return c.epochAck === epoch || c.threadState !== ABI.THREAD_RUNNING;
  }

  /** The vCPU has answered kick request `req`, or its thread no longer runs. */
  kickAnswered(vcpu: number, req: number): boolean {
    const c = this.arena.vcpus[vcpu]!;
    return ((c.kickAck - req) | 0) >= 0 || c.threadState !== ABI.THREAD_RUNNING;
  }
}
