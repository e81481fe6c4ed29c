/**
 * Deliberately broken collectors, for proving that the verifier catches a VMM that loses
 * writes: a real mode with one of its verbs replaced. Each applies only where its mistake
 * can be made; asking for it elsewhere is refused rather than silently doing nothing.
 *
 *   drop-entries       forget one harvested ring entry in a thousand (the ring still resets it)
 *   drop-bits          forget one page in a thousand of what GET reported (GET re-arms it, or CLEAR is not told)
 *   never-rearm        clear what was collected but never re-arm it: later writes go unlogged
 *   read-before-reset  read page contents before the reset (or CLEAR) that re-arms them
 */
import { ABI } from '../layout.ts';
import { forgetHarvestedGfn } from '../kvm/dirty-ring.ts';
import { forEachSetBit, reapStepwise, type CollectContext, type CollectVerbs } from './context.ts';
import type { TrackingMode } from './mode.ts';

export type BrokenCollector = 'drop-entries' | 'drop-bits' | 'never-rearm' | 'read-before-reset';
export const BROKEN_COLLECTORS: readonly BrokenCollector[] = ['drop-entries', 'drop-bits', 'never-rearm', 'read-before-reset'];

interface Breakage {
  /** The modes where the mistake can be made, in words, for the refusal. */
  readonly appliesTo: string;
  /**
   * Whether it can be made on the kvm backend too: a mistake in the VMM's own steps (what it
   * marks, when it reads) can; one that needs the model's write protection cannot, since the
   * kernel re-protects on its own.
   */
  readonly onKvm: boolean;
  applies(mode: TrackingMode): boolean;
  /** The broken verbs; `state` lives as long as the broken mode. */
  wrap(ctx: CollectContext, state: { dropped: number }): CollectVerbs;
}

const BREAKAGES: Record<BrokenCollector, Breakage> = {
  'drop-entries': {
    appliesTo: 'modes with dirty rings (a bitmap has no entries to drop)',
    onKvm: true,
    applies: (mode) => mode.usesRing,
    wrap: ({ arena, verbs }, state) => ({
      ...verbs,
      markHarvested(vcpu, n) {
        for (let i = 0; i < n; i++) if (++state.dropped % 1000 === 0) forgetHarvestedGfn(arena, vcpu, i);
        return verbs.markHarvested(vcpu, n);
      },
    }),
  },
  'drop-bits': {
    appliesTo: 'modes that read dirty bitmaps with GET (bitmap, clear-log, ring-with-bitmap)',
    onKvm: true,
    applies: (mode) => mode.rearm !== 'reset',
    wrap: ({ arena, verbs }, state) => ({
      ...verbs,
      // Before the snapshot is marked (and, in clear-log, before CLEAR is told which bits it saw).
      markSnapshot(slot) {
        const r = arena.plan.slots[slot]!;
        forEachSetBit(arena, r.snapshot, arena.slots[slot]!.npages, (page) => {
          if (++state.dropped % 1000 === 0) arena.u32[(r.snapshot >>> 2) + (page >>> 5)]! &= ~(1 << (page & 31));
        });
        verbs.markSnapshot(slot);
      },
    }),
  },
  'never-rearm': {
    appliesTo: 'every mode',
    onKvm: false,
    applies: () => true,
    wrap: ({ arena, slots, verbs }) => ({
      ...verbs,
      // The reset validates every batch against a slot whose logging looks off: nothing re-armed.
      reset() {
        const flags = slots.map((s) => arena.slots[s]!.flags);
        for (const s of slots) arena.slots[s]!.flags = flags[slots.indexOf(s)]! & ~ABI.SLOT_F_LOG_DIRTY;
        try {
          return verbs.reset();
        } finally {
          slots.forEach((s, i) => (arena.slots[s]!.flags = flags[i]!));
        }
      },
      // A classic GET that clears what it returns without re-arming it.
      getDirtyLog(slot, manualProtect) {
        const n = verbs.getDirtyLog(slot, true);
        if (!manualProtect) clearUnarmed(arena, slot, 0, arena.slots[slot]!.npages);
        return n;
      },
      // A CLEAR that clears the dirty bits it was given without re-arming their pages.
      clearDirtyLog(slot, first, num) {
        clearUnarmed(arena, slot, first, num);
        return 0;
      },
    }),
  },
  'read-before-reset': {
    appliesTo: 'modes that re-arm after collecting, by a reset (ring) or a CLEAR (clear-log)',
    onKvm: true,
    applies: (mode) => mode.rearm === 'reset' || mode.rearm === 'clear',
    wrap: ({ slots, verbs }) => {
      const readAll = () => slots.forEach((s) => verbs.readPages(s));
      return {
        ...verbs,
        reset() {
          readAll();
          return verbs.reset();
        },
        clearDirtyLog(slot, first, num) {
          verbs.readPages(slot);
          return verbs.clearDirtyLog(slot, first, num);
        },
        readPages() {}, // already read, too early
      };
    },
  },
};

/** Clear the dirty bits in [first, first + num) that the last GET returned, re-arming nothing. */
function clearUnarmed(arena: CollectContext['arena'], slot: number, first: number, num: number): void {
  const r = arena.plan.slots[slot]!;
  arena.engine.bitmapAndNot(r.dirty + first / 8, r.snapshot + first / 8, num);
}

/** `mode` with the `kind` mistake. A RangeError when the mistake cannot be made in that mode, or on that backend. */
export function breakMode(mode: TrackingMode, kind: BrokenCollector, backend: 'model' | 'kvm' = 'model'): TrackingMode {
  const breakage = BREAKAGES[kind];
  if (!breakage.applies(mode)) {
    throw new RangeError(`brokenCollector must suit the strategy: ${kind} applies to ${breakage.appliesTo}, not to ${mode.name}`);
  }
  if (backend === 'kvm' && !breakage.onKvm) {
    throw new RangeError(`brokenCollector ${kind} exists only on backend model: it edits the model's write protection, and the kernel re-protects on its own; on backend kvm use ${BROKEN_COLLECTORS.filter((k) => BREAKAGES[k].onKvm).join(' or ')}`);
  }
  const state = { dropped: 0 };
  const broken = (ctx: CollectContext): CollectContext => {
    const verbs = breakage.wrap(ctx, state);
    return { ...ctx, verbs: { ...verbs, reap: () => reapStepwise(verbs, ctx.vcpus) } };
  };
  const { reap } = mode;
  return {
    ...mode,
    ...(reap ? { reap: (ctx: CollectContext, max?: number) => reap(broken(ctx), max) } : {}),
    collect: (ctx, final) => mode.collect(broken(ctx), final),
  };
}
