/**
 * A set of dirty pages as KVM hands it over: one bit per page, little-endian 64-bit words
 * (KVM_GET_DIRTY_LOG's layout), whatever the guest's size. Walking it costs a look at every
 * word and a step per set bit; nothing in it is one value per page. A page list (a Uint32Array)
 * is there for a tool that wants one.
 */
import { bitmapBytes } from '../layout.ts';

export class DirtySet {
  /** KVM's bitmap: bit p % 8 of byte p / 8 is page p. */
  readonly bitmap: Uint8Array;
  /** Pages in the slot (the bitmap's bits past this are zero). */
  readonly pages: number;
  #words: Uint32Array;
  #count: number | undefined;

  constructor(bitmap: Uint8Array, pages: number) {
    if (bitmap.byteLength !== bitmapBytes(pages)) {
      throw new RangeError(`bitmap must be ${bitmapBytes(pages)} bytes for ${pages} pages (whole 64-bit words), got ${bitmap.byteLength}`);
    }
    this.bitmap = bitmap;
    this.pages = pages;
    this.#words = new Uint32Array(bitmap.buffer, bitmap.byteOffset, bitmap.byteLength / 4);
  }

  /** No page dirty. */
  static empty(pages: number): DirtySet {
    return new DirtySet(new Uint8Array(bitmapBytes(pages)), pages);
  }

  /** Every page dirty: a migration's first pass. */
  static all(pages: number): DirtySet {
    const set = DirtySet.empty(pages);
    set.bitmap.fill(0xff, 0, pages >>> 3);
    for (let p = pages & ~7; p < pages; p++) set.add(p);
    set.#count = pages;
    return set;
  }

  /** Distinct pages in the set. */
  get count(): number {
    if (this.#count === undefined) {
      let n = 0;
      for (let w = 0; w < this.#words.length; w++) {
        let x = this.#words[w]!;
        while (x !== 0) {
          x &= x - 1;
          n++;
        }
      }
      this.#count = n;
    }
    return this.#count;
  }

  has(page: number): boolean {
    return page >= 0 && page < this.pages && (this.#words[page >>> 5]! & (1 << (page & 31))) !== 0;
  }

  add(page: number): void {
    if (!Number.isInteger(page) || page < 0 || page >= this.pages) throw new RangeError(`page must be a page of the slot, 0 to ${this.pages - 1}, got ${page}`);
    this.#words[page >>> 5]! |= 1 << (page & 31);
    this.#count = undefined;
  }

  /** Remove every page. */
  clear(): void {
    this.#words.fill(0);
    this.#count = 0;
  }

  /** Add every page of `other` (same slot size). */
  addAll(other: DirtySet): void {
    if (other.pages !== this.pages) throw new RangeError(`other must cover the same ${this.pages} pages, got ${other.pages}`);
    for (let w = 0; w < this.#words.length; w++) this.#words[w]! |= other.#words[w]!;
    this.#count = undefined;
  }

  /** Call `fn` for every page in the set, ascending; stop early when `fn` returns false. */
  forEachPage(fn: (page: number) => boolean | void): void {
    const words = this.#words;
    for (let w = 0; w < words.length; w++) {
      let x = words[w]!;
      while (x !== 0) {
        const low = x & -x;
        if (fn(w * 32 + 31 - Math.clz32(low)) === false) return;
        x ^= low;
      }
    }
  }

  /** The pages as a list, ascending. */
  toPageList(): Uint32Array {
    const list = new Uint32Array(this.count);
    let i = 0;
    this.forEachPage((p) => void (list[i++] = p));
    return list;
  }
}
