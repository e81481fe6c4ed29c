/**
 * Bounded waits of the run driver. Every wait ends by its own timeout or when one of the
 * signals it is given aborts (the user's, the run's failure, the run's end), and removes its
 * timer and listeners however it ends: when a run's result settles, nothing of it is left
 * scheduled.
 */
type Signals = readonly (AbortSignal | undefined)[];

/** Run `onAbort` when any signal aborts; returns the function that stops listening. */
function onAnyAbort(signals: Signals, onAbort: (reason: unknown) => void): () => void {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  const aborted = live.find((s) => s.aborted);
  if (aborted) {
    onAbort(aborted.reason);
    return () => {};
  }
  const handlers = live.map((s) => {
    const h = () => onAbort(s.reason);
    s.addEventListener('abort', h, { once: true });
    return () => s.removeEventListener('abort', h);
  });
  return () => handlers.forEach((off) => off());
}

/** Resolve after `ms`, or as soon as a signal aborts. */
export function sleep(ms: number, ...signals: Signals): Promise<void> {
  return new Promise((resolve) => {
    let off = () => {};
    const t = setTimeout(done, ms);
    off = onAnyAbort(signals, done);
    function done() {
      clearTimeout(t);
      off();
      resolve();
    }
  });
}

/**
 * `p`, unless `ms` pass (rejects with `onTimeout()`) or a signal aborts first (rejects with
 * its reason). `p` itself is not cancelled: pass it the same signals.
 */
export function within<T>(p: Promise<T>, ms: number, onTimeout: () => Error, ...signals: Signals): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let off = () => {};
    const t = setTimeout(() => settle(() => reject(onTimeout())), ms);
    off = onAnyAbort(signals, (reason) => settle(() => reject(reason instanceof Error ? reason : new Error(String(reason)))));
    p.then((v) => settle(() => resolve(v)), (e: unknown) => settle(() => reject(e instanceof Error ? e : new Error(String(e)))));
    function settle(f: () => void) {
      clearTimeout(t);
      off();
      f();
    }
  });
}

/** Poll `done` every `everyMs` until it holds or a signal aborts. */
export async function until(done: () => boolean, everyMs: number, ...signals: Signals): Promise<void> {
  while (!done() && !signals.some((s) => s?.aborted)) await sleep(everyMs, ...signals);
}

/** What `p` resolved to within `ms`, or undefined (the timer is cleared either way). */
export async function resultWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((r) => (t = setTimeout(() => r(undefined), ms)));
  const r = await Promise.race([p, timedOut]);
  clearTimeout(t);
  return r;
}

/** Whether `p` settled within `ms` (the timer is cleared either way). */
export async function settleWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return (await resultWithin(p.then(() => true as const), ms)) === true;
}
