/**
 * QEMU's calc-dirty-rate (migration/dirtyrate.c) over one iteration of a run, in each of its
 * three modes, beside the truth the engine knows. A real guest has no ground truth; here every
 * write stamps its page with the iteration, so the pages that hold this iteration's stamp when
 * the vCPUs stop are exactly the pages written in it.
 *
 *   page-sampling  hash `samplePages` random pages per GiB before and after; rate = the share
 *                  that changed x guest size / period. Works with any tracking.
 *   dirty-ring     the ring entries harvested from each vCPU over the period (QEMU's
 *                  cpu->dirty_pages): one per page per re-arm, so a page written again after a
 *                  reset counts again. Needs the ring.
 *   dirty-bitmap   the pages the one log sync at the period's end reported (QEMU's
 *                  total_dirty_pages, started after a sync it discards). Needs the ring off.
 *
 * The iteration is the period: the vCPUs are paused at both ends (nothing is written while the
 * pages are hashed and the counters read), so every mode and the truth see the same writes over
 * the same running time. QEMU measures a running guest; the pause changes when, not what.
 */
import type { Arena } from '../kvm/arena.ts';
import { ABI } from '../layout.ts';

export type DirtyRateMode = 'page-sampling' | 'dirty-ring' | 'dirty-bitmap';
export const DIRTY_RATE_MODES: readonly DirtyRateMode[] = ['page-sampling', 'dirty-ring', 'dirty-bitmap'];

/** DIRTYRATE_DEFAULT_SAMPLE_PAGES, and QEMU's range for sample-pages (per GiB). */
export const DIRTYRATE_DEFAULT_SAMPLE_PAGES = 512;
export const MIN_SAMPLE_PAGE_COUNT = 128;
export const MAX_SAMPLE_PAGE_COUNT = 16384;

const MB = 2 ** 20;
const GiB = 2 ** 30;
const WORDS_PER_PAGE = ABI.PAGE_SIZE / 4;

/** A rate as QEMU reports it (MB/s, MB = 2^20 bytes) and in pages. */
export interface Rate {
  readonly pages: number;
  readonly pagesPerSecond: number;
  readonly mbPerSecond: number;
}

export interface VcpuDirtyRate extends Rate {
  readonly vcpu: number;
}

export interface DirtyRateEstimate extends Rate {
  readonly mode: DirtyRateMode;
  /** (estimate - truth) / truth, in per cent; null when the truth is 0 pages. */
  readonly errorPercent: number | null;
  /** page-sampling: pages hashed, and how many of them changed. */
  readonly sampled?: { readonly pages: number; readonly dirty: number };
  /** dirty-ring: each vCPU's rate (QEMU's vcpu-dirty-rate). */
  readonly vcpus?: readonly VcpuDirtyRate[];
}

export interface DirtyRateReport {
  /** The period: the vCPUs' running time in this iteration (QEMU's calc-time). */
  readonly calcTimeMs: number;
  /** Pages in the guest: the truth's share of it is what page-sampling estimates. */
  readonly guestPages: number;
  /** What the engine counted: distinct pages written in the period, and the writes. */
  readonly truth: Rate & { readonly writes: number };
  readonly modes: readonly DirtyRateEstimate[];
}

/** What a run measures, decided once from its options. */
export interface DirtyRateSpec {
  readonly arena: Arena;
  /** The guest slot (with page contents). */
  readonly slot: number;
  readonly pages: number;
  readonly vcpus: readonly number[];
  /** Whether the tracking has rings: dirty-ring mode if so, dirty-bitmap mode if not (QEMU allows one). */
  readonly rings: boolean;
  /** Sampled pages per GiB. */
  readonly samplePages: number;
  readonly rand: () => number;
}

/** Pages page-sampling hashes in a guest of `pages` pages: QEMU's size x sample-pages / 1 GiB, rounded down. */
export function sampleCount(pages: number, samplePages: number): number {
  return Math.floor((pages * ABI.PAGE_SIZE * samplePages) / GiB);
}

/** The modes a run measures: page-sampling always, and the one its tracking allows. */
export function dirtyRateModes(rings: boolean): DirtyRateMode[] {
  return ['page-sampling', rings ? 'dirty-ring' : 'dirty-bitmap'];
}

/**
 * A 32-bit hash of one guest page, every byte of it (QEMU: an xxHash64 round over the page,
 * folded to 32 bits); any change to the page changes it but with odds of 2^-32.
 */
export function pageHash(u32: Uint32Array, word: number): number {
  let a = 0x9e3779b1;
  let b = 0x85ebca77;
  for (let i = word, end = word + WORDS_PER_PAGE; i < end; i += 2) {
    a = Math.imul(a ^ u32[i]!, 0xcc9e2d51);
    a = (a << 15) | (a >>> 17);
    b = Math.imul(b ^ u32[i + 1]!, 0x1b873593);
    b = (b << 13) | (b >>> 19);
  }
  let h = a ^ Math.imul(b, 5);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** One measurement: `begin` with the vCPUs paused before the period, `end` after it. */
export class DirtyRateMeter {
  readonly #s: DirtyRateSpec;
  readonly #contents: number;
  #samples = new Uint32Array(0);
  #hashes = new Uint32Array(0);
  #fetched: number[] = [];

  constructor(spec: DirtyRateSpec) {
    this.#s = spec;
    this.#contents = spec.arena.plan.slots[spec.slot]!.contents;
  }

  /** Before the vCPUs run: pick and hash the samples, read each ring's harvest counter. */
  begin(): void {
    const { pages, samplePages, rand, arena, vcpus } = this.#s;
    const n = sampleCount(pages, samplePages);
    // QEMU picks g_rand_int_range(0, pages - 1): with repeats, and never the last page.
    this.#samples = Uint32Array.from({ length: n }, () => Math.floor(rand() * Math.max(1, pages - 1)));
    this.#hashes = this.#samples.map((p) => this.#hash(p));
    this.#fetched = vcpus.map((v) => arena.vcpus[v]!.fetchIndex);
  }

  /**
   * After the vCPUs stopped and the last sync collected: every mode's estimate and the truth.
   * `syncedPages` is what that sync reported (distinct pages); `stamp` the iteration's.
   */
  end(stamp: number, runningMs: number, syncedPages: number, writes: number): DirtyRateReport {
    const { pages, rings, arena, vcpus } = this.#s;
    const seconds = runningMs / 1000;
    const truthPages = this.#pagesStamped(stamp);
    const rate = (n: number): Rate => ({ pages: n, pagesPerSecond: seconds > 0 ? n / seconds : 0, mbPerSecond: seconds > 0 ? (n * ABI.PAGE_SIZE) / MB / seconds : 0 });
    const estimate = (mode: DirtyRateMode, n: number, extra: object): DirtyRateEstimate => ({
      mode, ...rate(n), errorPercent: truthPages > 0 ? ((n - truthPages) / truthPages) * 100 : null, ...extra,
    });
    let changed = 0;
    this.#samples.forEach((p, i) => void (changed += this.#hash(p) === this.#hashes[i] ? 0 : 1));
    const sampled = this.#samples.length;
    // QEMU: dirty samples x guest MB / samples / period, i.e. the changed share of the guest.
    const sampling = estimate('page-sampling', sampled ? (changed / sampled) * pages : 0, { sampled: { pages: sampled, dirty: changed } });
    let second: DirtyRateEstimate;
    if (rings) {
      const perVcpu = vcpus.map((v, i) => ({ vcpu: v, ...rate((arena.vcpus[v]!.fetchIndex - this.#fetched[i]!) >>> 0) }));
      second = estimate('dirty-ring', perVcpu.reduce((a, v) => a + v.pages, 0), { vcpus: perVcpu });
    } else {
      second = estimate('dirty-bitmap', syncedPages, {});
    }
    return { calcTimeMs: runningMs, guestPages: pages, truth: { ...rate(truthPages), writes }, modes: [sampling, second] };
  }

  #hash(page: number): number {
    return pageHash(this.#s.arena.u32, (this.#contents >>> 2) + page * WORDS_PER_PAGE);
  }

  /** Pages whose stamp (the low half of their first word) is this iteration's. */
  #pagesStamped(stamp: number): number {
    const u32 = this.#s.arena.u32;
    let n = 0;
    for (let p = 0, w = this.#contents >>> 2; p < this.#s.pages; p++, w += WORDS_PER_PAGE) if (u32[w] === stamp) n++;
    return n;
  }
}
