/** Bounded waits of the run driver: every one ends by its own timeout, the run's failure, or the user's signal. */
import { ABI } from '../layout.ts';
import type { Control } from '../threads/control.ts';

/** Pause every thread and wait until each has acknowledged the new epoch (or exited). */
export async function pauseAll(c: Control, ctls: number[], guard: <T>(p: Promise<T>, ms: number, what: string) => Promise<T>, ms: number): Promise<void> {
  const epoch = c.setRunState(ABI.RUN_PAUSED);
  for (const ctl of ctls) {
    await guard((async () => {
      while (!c.acknowledged(ctl, epoch)) await c.wait(ctl + ABI.VCPU_EPOCH_ACK, c.vcpu(ctl, ABI.VCPU_EPOCH_ACK), 20);
    })(), ms, `pausing the vCPU at ${ctl}`);
  }
}

export async function enoughWrites(count: () => number, min: number, signal: AbortSignal | undefined): Promise<void> {
  while (count() < min && !signal?.aborted) await sleep(1, signal);
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** `p`, unless the run fails first or `ms` pass. */
export function race<T>(p: Promise<T>, failed: AbortSignal, ms: number, timeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(timeout()), ms);
    const onFail = () => reject(failed.reason as Error);
    if (failed.aborted) onFail();
    failed.addEventListener('abort', onFail, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(t);
      failed.removeEventListener('abort', onFail);
    });
  });
}

export async function settleWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((r) => (t = setTimeout(() => r(false), ms)));
  const ok = await Promise.race([p.then(() => true as const), timedOut]);
  clearTimeout(t);
  return ok;
}
