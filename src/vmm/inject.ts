/**
 * The collector's test hooks (threads/protocol.ts Inject), applied in one place: the
 * collector hands its mode through here and never looks at a hook itself.
 */
import { ABI } from '../layout.ts';
import type { Control } from '../threads/control.ts';
import type { Inject } from '../threads/protocol.ts';
import { reapStepwise, type CollectContext, type CollectVerbs, type TrackingMode } from '../tracking/index.ts';

/** How long a held collector blocks: longer than any test, shorter than forever. */
const HOLD_MS = 10 * 60_000;

export interface InjectTarget {
  readonly control: Control;
  readonly vcpus: readonly number[];
  readonly kickTimeoutMs: number;
}

/** `mode` with the collector's injected faults, or `mode` itself when there are none. */
export function injectCollector(mode: TrackingMode, inject: Inject | undefined, target: InjectTarget): TrackingMode {
  if (!inject) return mode;
  let m = mode;
  if (inject.collectorHangs) m = held(m);
  if (inject.collectorFailsOnSync !== undefined) m = failingOnSync(m, inject.collectorFailsOnSync);
  if (inject.pauseBeforeFirstRearm) m = pausingBeforeFirstRearm(m, target);
  return m;
}

/** A VMM stuck on a lock: every reap and sync blocks until the thread is terminated. */
function held(mode: TrackingMode): TrackingMode {
  const block = () => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HOLD_MS);
    throw new Error(`held for ${HOLD_MS} ms`);
  };
  return { ...mode, reap: block, collect: block };
}

function failingOnSync(mode: TrackingMode, sync: number): TrackingMode {
  let syncs = 0;
  return {
    ...mode,
    collect(ctx, final) {
      if (++syncs === sync) throw new Error(`injected failure on sync ${syncs}`);
      return mode.collect(ctx, final);
    },
  };
}

/** See Inject.pauseBeforeFirstRearm: the host's pause handshake, done by the collector. */
function pausingBeforeFirstRearm(mode: TrackingMode, { control, vcpus, kickTimeoutMs }: InjectTarget): TrackingMode {
  let paused = false;
  const pause = () => {
    if (paused || control.runState !== ABI.RUN_RUNNING) return;
    paused = true;
    const epoch = control.setRunState(ABI.RUN_PAUSED);
    const deadline = performance.now() + kickTimeoutMs;
    for (const v of vcpus) {
      while (!control.acknowledged(v, epoch)) {
        if (performance.now() > deadline) throw new Error(`vCPU ${v} did not pause within ${kickTimeoutMs} ms`);
        control.waitSync(control.vcpuWord(v, 'epochAck'), control.arena.vcpus[v]!.epochAck, 20);
      }
    }
  };
  const withPause = (ctx: CollectContext): CollectContext => {
    const verbs: CollectVerbs = {
      ...ctx.verbs,
      reset: () => (pause(), ctx.verbs.reset()),
      clearDirtyLog: (slot, first, num) => (pause(), ctx.verbs.clearDirtyLog(slot, first, num)),
    };
    return { ...ctx, verbs: { ...verbs, reap: () => reapStepwise(verbs, ctx.vcpus) } };
  };
  const { reap } = mode;
  return {
    ...mode,
    ...(reap ? { reap: (ctx: CollectContext, max?: number) => reap(withPause(ctx), max) } : {}),
    collect: (ctx, final) => mode.collect(withPause(ctx), final),
  };
}
