/**
 * Typed access to the arena's control words from any thread, and the doorbell discipline:
 * counters only move forward (Atomics.add + notify); a waiter waits on the value it last saw,
 * re-reads, and every wait has a timeout, so a lost wake-up costs at most one timeout.
 */
import { ABI } from '../layout.ts';

export class Control {
  readonly u32: Uint32Array;
  readonly i32: Int32Array;

  constructor(buffer: ArrayBufferLike) {
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
  }

  load(at: number): number {
    return Atomics.load(this.u32, at >>> 2);
  }

  store(at: number, value: number): void {
    Atomics.store(this.u32, at >>> 2, value);
  }

  add(at: number, value: number): void {
    Atomics.add(this.u32, at >>> 2, value);
  }

  /** Bump a doorbell and wake everyone waiting on it. */
  ring(at: number): void {
    Atomics.add(this.i32, at >>> 2, 1);
    Atomics.notify(this.i32, at >>> 2);
  }

  /** Wake waiters on a word without changing it (a kick of a vCPU that sleeps there). */
  wake(at: number): void {
    Atomics.notify(this.i32, at >>> 2);
  }

  /** Block until the word differs from `seen` or `ms` pass. Worker threads only. */
  waitSync(at: number, seen: number, ms: number): void {
    Atomics.wait(this.i32, at >>> 2, seen | 0, ms);
  }

  /** The same, without blocking the event loop. */
  async wait(at: number, seen: number, ms: number): Promise<void> {
    const r = Atomics.waitAsync(this.i32, at >>> 2, seen | 0, ms);
    if (r.async) await r.value;
  }

  /** 64-bit counters kept as two u32 halves, read as a number (exact below 2^53). */
  load64(at: number): number {
    return this.u32[at >>> 2]! + this.u32[(at >>> 2) + 1]! * 2 ** 32;
  }

  add64(at: number, value: number): void {
    const v = this.load64(at) + value;
    this.u32[at >>> 2] = v % 2 ** 32;
    this.u32[(at >>> 2) + 1] = Math.floor(v / 2 ** 32);
  }

  /**
   * Publish a run-state change (RUN_*): the state first, then the epoch doorbell. A vCPU
   * reads the epoch before the state, so if it sees the new state with the old epoch it acts
   * on the state and acknowledges the old epoch, then wakes on the bump and acknowledges the
   * new one; no acknowledgement is ever skipped. Returns the new epoch.
   */
  setRunState(state: number): number {
    this.store(ABI.VM_CTL + ABI.VM_RUN_STATE, state);
    this.ring(ABI.VM_CTL + ABI.VM_RUN_EPOCH);
    return this.vm(ABI.VM_RUN_EPOCH);
  }

  /** A vCPU thread is gone: nobody waits for its kick or pause acknowledgements any more. */
  markExited(ctl: number): void {
    this.store(ctl + ABI.VCPU_THREAD_STATE, ABI.THREAD_EXITED);
    this.wake(ctl + ABI.VCPU_KICK_ACK);
    this.wake(ctl + ABI.VCPU_EPOCH_ACK);
  }

  /** The vCPU has acted on run epoch `epoch`, or its thread no longer runs. */
  acknowledged(ctl: number, epoch: number): boolean {
    return this.vcpu(ctl, ABI.VCPU_EPOCH_ACK) === epoch || this.vcpu(ctl, ABI.VCPU_THREAD_STATE) !== ABI.THREAD_RUNNING;
  }

  vcpu(ctl: number, field: number): number {
    return this.load(ctl + field);
  }

  vm(field: number): number {
    return this.load(ABI.VM_CTL + field);
  }
}
