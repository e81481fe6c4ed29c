/**
 * The verifier's ground truth, checked at every sync (content mode). The guest records each
 * completed write in a bitmap the collector publishes per slot (assembly/fault.ts
 * truthFor): one for writers with a ring, one for writers without. Before a sync the
 * collector unpublishes the bitmaps that this sync collects; the kick that follows is
 * answered by each vCPU only between slices, so every recorded write was logged before the
 * collection began and must be in it. After the collection, what is left of
 * `truth & ~collected` is a lost write, found in the round it was lost in, even if the page
 * is written again later (which a check of the stamps at the end of the round cannot see).
 *
 * Writes made during the collection are not recorded: they race the collection, and the
 * end-of-round stamp check and the mirror comparison cover them.
 *
 * The engine also records every page it re-arms (a reset, a classic GET, a CLEAR). KVM
 * re-arms only what it handed to the VMM, and the VMM must have marked it before: a page
 * re-armed and not collected is lost unless the guest writes it again. That is checked after
 * every reap and every sync, without racing anything: the collector does both.
 *
 * On the kvm backend the guests keep the record themselves, each in a bitmap of its own in
 * guest memory ({@link GuestTruth}, guest.S `run`): read when a write begins, marked after its
 * store. The collector starts and stops recording through the guests' control blocks, and
 * gathers their bitmaps into the arena's before it checks; the kernel's re-arms are not
 * recorded (only the model's engine can), and stamps are read from the guest's memory.
 */
import type { Arena } from '../kvm/arena.ts';
import { ABI } from '../layout.ts';
import { forEachSetBit, type VerifyRules } from '../tracking/index.ts';
import type { Missed } from '../threads/protocol.ts';

/** How many lost pages a sync reports by number (all are counted). */
const MISSED_LISTED = 50;

/** The kvm backend: guests that record their completed writes themselves (one slot). */
export interface GuestTruth {
  /** Start or stop recording. */
  record(on: boolean): void;
  /** OR what the guests recorded into the arena's bitmap at byte offset `at`, and clear theirs. */
  gather(at: number): void;
  /** The low half of a page's stamp, from guest memory. */
  stamp(page: number): number;
}

export class GroundTruth {
  readonly #arena: Arena;
  readonly #slots: readonly number[];
  readonly #rules: VerifyRules;
  readonly #guest: GuestTruth | undefined;

  constructor(arena: Arena, slots: readonly number[], rules: VerifyRules, guest?: GuestTruth) {
    this.#arena = arena;
    this.#slots = slots.filter((s) => arena.plan.slots[s]!.truthRing !== 0);
    this.#rules = rules;
    this.#guest = guest;
  }

  /** Publish the bitmaps: completed writes and re-arms are recorded from now on. */
  record(): void {
    this.#guest?.record(true);
    for (const s of this.#slots) {
      const r = this.#arena.plan.slots[s]!;
      const d = this.#arena.slots[s]!;
      d.truthRing = r.truthRing;
      d.truthBitmap = r.truthBitmap;
      d.rearmed = r.rearmed;
    }
  }

  /** After a reap or a collection: every page re-armed since the last check must be collected. */
  checkRearmed(into: Missed[]): number {
    let count = 0;
    for (const s of this.#slots) {
      const r = this.#arena.plan.slots[s]!;
      count += this.#lost(r.rearmed, r.collected, undefined, r.contents, this.#arena.slots[s]!.npages, 're-armed-but-not-collected', into);
    }
    return count;
  }

  /** Before a sync's kick: stop recording what this sync will collect. */
  beforeSync(final: boolean): void {
    this.#guest?.record(false);
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
  check(final: boolean, missed: Missed[]): number {
    let count = this.checkRearmed(missed);
    for (const s of this.#slots) {
      const r = this.#arena.plan.slots[s]!;
      const pages = this.#arena.slots[s]!.npages;
      this.#guest?.gather(r.truthRing);
      const lost = (truth: number, alsoIn?: number) => this.#lost(truth, r.collected, alsoIn, r.contents, pages, 'written-but-not-collected', missed);
      count += lost(r.truthRing);
      // Ringless writes collected only at a round's end may be in any of the round's syncs.
      if (this.#collectsRingless(final)) count += lost(r.truthBitmap, this.#rules.ringlessCollected === 'round-end' ? r.iteration : undefined);
    }
    return count;
  }

  /** What is left of `truth` after removing `collected` (and `alsoIn`): counted, listed, then cleared. */
  #lost(truth: number, collected: number, alsoIn: number | undefined, contents: number, pages: number, kind: Missed['kind'], into: Missed[]): number {
    const { engine } = this.#arena;
    let n = engine.bitmapAndNot(truth, collected, pages);
    if (alsoIn !== undefined && n) n = engine.bitmapAndNot(truth, alsoIn, pages);
    if (n) this.#list(truth, contents, pages, kind, into);
    engine.bitmapAndNot(truth, truth, pages); // clear what is left, word by nonzero word
    return n;
  }

  #collectsRingless(final: boolean): boolean {
    return this.#rules.ringlessCollected === 'every-sync' || final;
  }

  #list(truth: number, contents: number, pages: number, kind: Missed['kind'], into: Missed[]): void {
    forEachSetBit(this.#arena, truth, pages, (page) => {
      if (into.length >= MISSED_LISTED) return false;
      into.push({ kind, page, stamp: this.#guest ? this.#guest.stamp(page) : this.#arena.u32[(contents + page * ABI.PAGE_SIZE) >>> 2]! });
      return true;
    });
  }
}
