/**
 * A memslot: KVM_SET_USER_MEMORY_REGION's slot, with the bitmap verbs KVM_GET_DIRTY_LOG and
 * KVM_CLEAR_DIRTY_LOG, over the VM's backend. On the model its write protection is an armed
 * bitmap (isArmed); on the kvm backend it is the kernel's, and only the verbs show it.
 */
import type { DirtyLog, VmBackend } from '../backend/backend.ts';
import { ModelDeviation } from '../backend/errors.ts';
import { ABI, bitmapBytes, KVM_MEM_MAX_NR_PAGES } from '../layout.ts';
import { describe, requireInteger } from '../validate.ts';
import { ModelBackend } from './model-backend.ts';
import * as rules from './rules.ts';

export type { DirtyLog } from '../backend/backend.ts';

export interface MemoryRegion {
  /** Guest pages of 4 KiB in this slot, at most 2^31 - 1 (KVM_MEM_MAX_NR_PAGES). */
  readonly pages: number;
  /** KVM_MEM_LOG_DIRTY_PAGES: dirty logging on from the start. @default true */
  readonly logDirtyPages?: boolean;
  /** Keep 4 KiB of contents per page (needed to verify data; the kvm backend always has them). @default false */
  readonly contents?: boolean;
}

/** What a memslot asks of its VM: the backend's bitmap mode, for the rules. */
interface Owner {
  readonly dirtyRing: unknown;
  readonly ringWithBitmap: boolean;
  setUserMemoryRegion(region: MemoryRegion & { readonly slot: number }): Memslot;
}

export class Memslot {
  readonly id: number;
  readonly region: Required<MemoryRegion>;
  #owner: Owner;
  #backend: VmBackend;
  #logging: boolean;

  /** @internal created by Vm.setUserMemoryRegion; `owner` is the VM. */
  constructor(owner: Owner, backend: VmBackend, id: number, region: Required<MemoryRegion>) {
    this.#owner = owner;
    this.#backend = backend;
    this.id = id;
    this.region = region;
    this.#logging = region.logDirtyPages;
  }

  /** @internal whether this slot belongs to the VM `owner`. */
  belongsTo(owner: object): boolean {
    return this.#owner === owner;
  }

  /** @internal the VM changed the slot's flags. */
  setLogging(on: boolean): void {
    this.#logging = on;
  }

  get pages(): number {
    return this.region.pages;
  }

  /** Bytes of this slot's dirty bitmap: one bit per page, whole 64-bit words. */
  get bitmapBytes(): number {
    return bitmapBytes(this.region.pages);
  }

  /** Byte offset of this slot's descriptor in the arena (for engine calls and workers; model). */
  get desc(): number {
    return this.#model('desc').arena.plan.slots[this.id]!.desc;
  }

  get dirtyLogging(): boolean {
    return this.#logging;
  }

  /** Set KVM_MEM_LOG_DIRTY_PAGES (the same region with the flag): arm every page, or with INITIALLY_SET mark all dirty. */
  enableDirtyLogging(): void {
    this.#owner.setUserMemoryRegion({ slot: this.id, pages: this.pages, logDirtyPages: true, contents: this.region.contents });
  }

  /** Clear KVM_MEM_LOG_DIRTY_PAGES: disarm every page and drop the dirty bitmap. */
  disableDirtyLogging(): void {
    this.#owner.setUserMemoryRegion({ slot: this.id, pages: this.pages, logDirtyPages: false, contents: this.region.contents });
  }

  /** KVM_GET_DIRTY_LOG: classic (clear + re-arm) or, with manual protect, a copy. */
  getDirtyLog(): DirtyLog {
    return this.#backend.getDirtyLog(this.id, rules.getDirtyLog(this.#state()));
  }

  /**
   * KVM_CLEAR_DIRTY_LOG: bit j of `bitmap` names page firstPage + j. Clears those bits and
   * re-arms the pages that were actually dirty. Returns the number of pages re-armed (on the
   * kvm backend, which returns 0, the pages asked for that the last GET reported).
   */
  clearDirtyLog(firstPage: number, numPages: number, bitmap: ArrayBufferView): number {
    requireInteger('firstPage', firstPage, 0, KVM_MEM_MAX_NR_PAGES);
    requireInteger('numPages', numPages, 0, 2 ** 32 - 1);
    const expected = rules.clearDirtyLog(this.#state(), firstPage, numPages);
    if (!ArrayBuffer.isView(bitmap)) throw new TypeError(`bitmap must be a typed array or DataView, got ${describe(bitmap)}`);
    const need = expected ? 0 : bitmapBytes(numPages);
    if (bitmap.byteLength < need) {
      throw new RangeError(`bitmap must hold ${need} bytes for numPages ${numPages} (one bit per page, whole 64-bit words), got ${bitmap.byteLength}`);
    }
    return this.#backend.clearDirtyLog(this.id, firstPage, numPages, new Uint8Array(bitmap.buffer, bitmap.byteOffset, need), expected);
  }

  /** Whether the next write to `page` will fault and be logged (model: the armed bitmap). */
  isArmed(page: number): boolean {
    return this.#bit(this.#model('isArmed').arena.plan.slots[this.id]!.armed, page);
  }

  /** The live dirty-bitmap bit of `page` (model: bitmap mode or backup bitmap). */
  isDirty(page: number): boolean {
    return this.#bit(this.#model('isDirty').arena.plan.slots[this.id]!.dirty, page);
  }

  /** Page contents (content mode; always on the kvm backend: the slot's mapping), or undefined. */
  get contents(): Uint8Array | undefined {
    return this.#backend.contents(this.id);
  }

  /** The stamp in a page's first 8 bytes (content mode): what dirty_log_test's guest writes. */
  stamp(page: number): bigint {
    requireInteger('page', page, 0, this.pages - 1);
    const bytes = this.contents;
    if (!bytes) throw new RangeError(`stamp: slot ${this.id} keeps no contents: define it with region.contents true`);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + page * ABI.PAGE_SIZE, 2);
    return (BigInt(words[1]!) << 32n) | BigInt(Atomics.load(words, 0));
  }

  /** @internal validate a page index for a write through this slot. */
  checkPage(page: number): void {
    requireInteger('page', page, 0, this.pages - 1, `slot ${this.id} has ${this.pages} pages`);
  }

  #state(): rules.SlotState {
    return { id: this.id, pages: this.pages, logging: this.#logging, bitmaps: !this.#owner.dirtyRing || this.#owner.ringWithBitmap };
  }

  #bit(bitmap: number, page: number): boolean {
    this.checkPage(page);
    const { u32 } = (this.#backend as ModelBackend).arena;
    return ((Atomics.load(u32, (bitmap >>> 2) + (page >>> 5)) >>> (page & 31)) & 1) === 1;
  }

  #model(what: string): ModelBackend {
    if (this.#backend instanceof ModelBackend) return this.#backend;
    throw new ModelDeviation(`slot.${what} is part of the model only (KVM keeps write protection in its page tables): use createVm({ backend: 'model' })`);
  }
}
