/**
 * The verifier's ground truth, checked at every sync (content mode). The guest records each
 * completed write in a bitmap the collector publishes per slot (assembly/fault.ts
 * markWritten): one for writers with a ring, one for writers without. Before a sync the
 * collector unpublishes the bitmaps that this sync collects; the kick that follows is
 * answered by each vCPU only between slices, so every recorded write was logged before the
 * collection began and must be in it. After the collection, what is left of
 * `truth & ~collected` is a lost write, found in the round it was lost in, even if the page
 * is written again later (which a check of the stamps at the end of the round cannot see).
 *
 * Writes made during the collection are not recorded: they race the collection, and the
 * end-of-round stamp check and the mirror comparison cover them.
 */
import type { Arena } from '../kvm/arena.ts';
import { ABI } from '../layout.ts';
import { forEachSetBit, type VerifyRules } from '../tracking/index.ts';
import type { Missed } from '../threads/protocol.ts';

/** How many lost pages a sync reports by number (all are counted). */
const MISSED_LISTED = 50;

export class GroundTruth {
  readonly #arena: Arena;
  readonly #slots: readonly number[];
  readonly #rules: VerifyRules;

  constructor(arena: Arena, slots: readonly number[], rules: VerifyRules) {
    this.#arena = arena;
    this.#slots = slots.filter((s) => arena.plan.slots[s]!.truthRing !== 0);
    this.#rules = rules;
  }

  /** Publish the bitmaps: completed writes are recorded from now on. */
  record(): void {
    for (const s of this.#slots) {
      const r = this.#arena.plan.slots[s]!;
      const d = this.#arena.slots[s]!;
      d.truthRing = r.truthRing;
      d.truthBitmap = r.truthBitmap;
    }
  }

  /** Before a sync's kick: stop recording what this sync will collect. */
  beforeSync(final: boolean): void {
    for (const s of this.#slots) {
      const d = this.#arena.slots[s]!;
      d.truthRing = 0;
      if (this.#collectsRingless(final)) d.truthBitmap = 0;
    }
  }

  /**
   * After the collection, before its pages move into the round's: every recorded write that
   * was not collected, counted and (the first few) listed. The checked records are cleared.
   */
  check(final: boolean): { count: number; missed: Missed[] } {
    const { engine } = this.#arena;
    const missed: Missed[] = [];
    let count = 0;
    for (const s of this.#slots) {
      const r = this.#arena.plan.slots[s]!;
      const pages = this.#arena.slots[s]!.npages;
      const lost = (truth: number, alsoCollectedIn?: number): void => {
        let n = engine.bitmapAndNot(truth, r.collected, pages);
        if (alsoCollectedIn !== undefined && n) n = engine.bitmapAndNot(truth, alsoCollectedIn, pages);
        count += n;
        if (n) this.#list(truth, r.contents, pages, missed);
        engine.bitmapAndNot(truth, truth, pages); // clear what is left, word by nonzero word
      };
      lost(r.truthRing);
      // Ringless writes collected only at a round's end may be in any of the round's syncs.
      if (this.#collectsRingless(final)) lost(r.truthBitmap, this.#rules.ringlessCollected === 'round-end' ? r.iteration : undefined);
    }
    return { count, missed };
  }

  #collectsRingless(final: boolean): boolean {
    return this.#rules.ringlessCollected === 'every-sync' || final;
  }

  #list(truth: number, contents: number, pages: number, into: Missed[]): void {
    forEachSetBit(this.#arena, truth, pages, (page) => {
      if (into.length >= MISSED_LISTED) return false;
      into.push({ page, stamp: this.#arena.u32[(contents + page * ABI.PAGE_SIZE) >>> 2]! });
      return true;
    });
  }
}
