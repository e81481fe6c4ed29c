/**
 * The vCPU thread's test hooks (threads/protocol.ts Inject), applied in one place: the
 * worker runs its slices through here and never looks at a hook itself.
 */
import type { Inject } from '../threads/protocol.ts';

const HANG_MS = 10 * 60_000;

export type Slice = (maxWrites: number) => number;

/** `slice` with this vCPU's injected faults, or `slice` itself when there are none. */
export function injectVcpu(slice: Slice, inject: Inject | undefined, vcpu: number, who: string, iteration: () => number): Slice {
  const fails = inject?.vcpuFailsAfterSlices?.vcpu === vcpu ? inject.vcpuFailsAfterSlices : undefined;
  const hangs = inject?.vcpuHangsAfterSlices?.vcpu === vcpu ? inject.vcpuHangsAfterSlices : undefined;
  if (!fails && !hangs) return slice;
  let slices = 0;
  return (maxWrites) => {
    const r = slice(maxWrites);
    if (iteration() >= (fails?.fromIteration ?? 1)) slices++;
    if (slices === fails?.slices) {
      if (fails.how === 'exit') process.exit(7);
      throw new Error(`${who}: injected failure after ${slices} slices`);
    }
    // Stuck in guest mode: answers nothing until the host terminates the thread.
    if (slices === hangs?.slices) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HANG_MS);
    return r;
  };
}
