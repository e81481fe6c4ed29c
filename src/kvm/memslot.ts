/**
 * A memslot: KVM_SET_USER_MEMORY_REGION's slot with its armed bitmap (the model of SPTE
 * write protection), its dirty bitmap, and the bitmap verbs KVM_GET_DIRTY_LOG and
 * KVM_CLEAR_DIRTY_LOG.
 */
import { ABI, bitmapBytes, type SlotRegions } from '../layout.ts';
import { describe, requireInteger } from '../validate.ts';
import type { Arena } from './arena.ts';
import { checkBitmapVerb, clearDirtyLog, dirtyLogSnapshot, getDirtyLog } from './dirty-log.ts';

export interface MemoryRegion {
  /** Guest pages of 4 KiB in this slot, at most 2^31 - 1 (KVM_MEM_MAX_NR_PAGES). */
  readonly pages: number;
  /** KVM_MEM_LOG_DIRTY_PAGES: dirty logging on from the start. @default true */
  readonly logDirtyPages?: boolean;
  /** Keep 4 KiB of contents per page (needed to verify data); off = tracking only. @default false */
  readonly contents?: boolean;
}

export interface SlotMode {
  /** The slot owns a dirty bitmap: bitmap mode, or the ring's backup bitmap. */
  readonly hasBitmap: boolean;
  readonly manualProtect: boolean;
  readonly initiallySet: boolean;
}

export interface DirtyLog {
  /** KVM's bitmap: bit i (little-endian 64-bit words) = page i; a copy owned by the caller. */
  readonly bitmap: Uint8Array;
  readonly dirtyPages: number;
}

export class Memslot {
  readonly id: number;
  readonly region: Required<MemoryRegion>;
  #owner: object;
  #getArena: () => Arena;
  #bound: { arena: Arena; regions: SlotRegions; mode: SlotMode } | undefined;
  #logging: boolean;

  /** @internal created by Vm.setUserMemoryRegion; `owner` is the VM. */
  constructor(owner: object, id: number, region: Required<MemoryRegion>, getArena: () => Arena) {
    this.#owner = owner;
    this.id = id;
    this.region = region;
    this.#getArena = getArena;
    this.#logging = region.logDirtyPages;
  }

  /** @internal whether this slot belongs to the VM `owner`. */
  belongsTo(owner: object): boolean {
    return this.#owner === owner;
  }

  /** @internal the VM laid out its arena: write the descriptor and start logging. */
  bind(arena: Arena, mode: SlotMode): void {
    const regions = arena.plan.slots[this.id]!;
    this.#bound = { arena, regions, mode };
    const d = arena.slots[this.id]!;
    d.npages = this.region.pages;
    d.id = this.id; // address space 0
    d.armed = regions.armed;
    d.dirty = regions.dirty;
    d.snapshot = regions.snapshot;
    d.clearArg = regions.clearArg;
    d.contents = regions.contents;
    d.collected = regions.collected;
    this.#applyLogging(this.#logging);
  }

  get pages(): number {
    return this.region.pages;
  }

  /** Bytes of this slot's dirty bitmap: one bit per page, whole 64-bit words. */
  get bitmapBytes(): number {
    return bitmapBytes(this.region.pages);
  }

  /** Byte offset of this slot's descriptor in the arena (for engine calls and workers). */
  get desc(): number {
    return this.#use().regions.desc;
  }

  get dirtyLogging(): boolean {
    return this.#logging;
  }

  /** Set KVM_MEM_LOG_DIRTY_PAGES: arm every page (or, with INITIALLY_SET, mark all dirty). */
  enableDirtyLogging(): void {
    this.#use();
    this.#applyLogging(true);
  }

  /** Clear KVM_MEM_LOG_DIRTY_PAGES: disarm every page and drop the dirty bitmap. */
  disableDirtyLogging(): void {
    this.#use();
    this.#applyLogging(false);
  }

  /** KVM_GET_DIRTY_LOG: classic (clear + re-arm) or, with manual protect, a copy. */
  getDirtyLog(): DirtyLog {
    const { arena, mode } = this.#use();
    const dirtyPages = getDirtyLog(arena, this.id, mode.manualProtect);
    return { bitmap: dirtyLogSnapshot(arena, this.id).slice(), dirtyPages };
  }

  /**
   * KVM_CLEAR_DIRTY_LOG: bit j of `bitmap` names page firstPage + j. Clears those bits and
   * re-arms the pages that were actually dirty. Returns the number of pages re-armed.
   */
  clearDirtyLog(firstPage: number, numPages: number, bitmap: ArrayBufferView): number {
    const { arena } = this.#use();
    checkBitmapVerb(arena, this.id, 'clearDirtyLog'); // KVM refuses the slot before it reads the arguments
    requireInteger('firstPage', firstPage, 0, this.pages);
    requireInteger('numPages', numPages, 0, this.pages);
    if (!ArrayBuffer.isView(bitmap)) throw new TypeError(`bitmap must be a typed array or DataView, got ${describe(bitmap)}`);
    const need = bitmapBytes(numPages);
    if (bitmap.byteLength < need) {
      throw new RangeError(`bitmap must hold ${need} bytes for numPages ${numPages} (one bit per page, whole 64-bit words), got ${bitmap.byteLength}`);
    }
    return clearDirtyLog(arena, this.id, firstPage, numPages, new Uint8Array(bitmap.buffer, bitmap.byteOffset, need));
  }

  /** Whether the next write to `page` will fault and be logged. */
  isArmed(page: number): boolean {
    const { arena, regions } = this.#use();
    return this.#bit(arena, regions.armed, page);
  }

  /** The live dirty-bitmap bit of `page` (bitmap mode or backup bitmap). */
  isDirty(page: number): boolean {
    const { arena, regions } = this.#use();
    return this.#bit(arena, regions.dirty, page);
  }

  /** Page contents (content mode), or undefined when the slot tracks only. */
  get contents(): Uint8Array | undefined {
    const { arena, regions } = this.#use();
    return regions.contents ? arena.u8.subarray(regions.contents, regions.contents + this.pages * ABI.PAGE_SIZE) : undefined;
  }

  /** The stamp in a page's first 8 bytes (content mode): what dirty_log_test's guest writes. */
  stamp(page: number): bigint {
    const { arena, regions } = this.#use();
    requireInteger('page', page, 0, this.pages - 1);
    if (!regions.contents) throw new RangeError(`stamp: slot ${this.id} keeps no contents: define it with region.contents true`);
    const w = (regions.contents + page * ABI.PAGE_SIZE) >>> 2;
    return (BigInt(arena.u32[w + 1]!) << 32n) | BigInt(Atomics.load(arena.u32, w));
  }

  /** @internal validate a page index for a write through this slot. */
  checkPage(page: number): void {
    requireInteger('page', page, 0, this.pages - 1, `slot ${this.id} has ${this.pages} pages`);
  }

  #bit(arena: Arena, bitmap: number, page: number): boolean {
    this.checkPage(page);
    return ((Atomics.load(arena.u32, (bitmap >>> 2) + (page >>> 5)) >>> (page & 31)) & 1) === 1;
  }

  #use() {
    if (!this.#bound) this.#getArena();
    return this.#bound!;
  }

  #applyLogging(on: boolean): void {
    const { arena, regions, mode } = this.#bound!;
    const d = arena.slots[this.id]!;
    const owned = mode.hasBitmap ? ABI.SLOT_F_HAS_BITMAP : 0;
    // Publish LOG_DIRTY last when turning on, first when turning off, so a concurrent
    // reset never re-arms into a slot whose bitmaps are being rewritten.
    if (!on) d.flags = owned;
    const initiallySet = on && mode.hasBitmap && mode.manualProtect && mode.initiallySet;
    arena.engine.bitmapFill(regions.dirty, this.pages, initiallySet);
    arena.engine.bitmapFill(regions.armed, this.pages, on && !initiallySet);
    if (on) d.flags = owned | ABI.SLOT_F_LOG_DIRTY;
    this.#logging = on;
  }
}
