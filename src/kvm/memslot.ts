/**
 * A memslot: KVM_SET_USER_MEMORY_REGION's slot with its armed bitmap (the model of SPTE
 * write protection), its dirty bitmap, and the bitmap verbs KVM_GET_DIRTY_LOG and
 * KVM_CLEAR_DIRTY_LOG.
 */
import { ABI, bitmapBytes, type SlotRegions } from '../layout.ts';
import { describe, requireInteger } from '../validate.ts';
import type { Arena } from './vm.ts';

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
  #getArena: () => Arena;
  #bound: { arena: Arena; regions: SlotRegions; mode: SlotMode } | undefined;
  #logging: boolean;

  /** @internal created by Vm.setUserMemoryRegion. */
  constructor(id: number, region: Required<MemoryRegion>, getArena: () => Arena) {
    this.id = id;
    this.region = region;
    this.#getArena = getArena;
    this.#logging = region.logDirtyPages;
  }

  /** @internal the VM laid out its arena: write the descriptor and start logging. */
  bind(arena: Arena, mode: SlotMode): void {
    const regions = arena.plan.slots[this.id]!;
    this.#bound = { arena, regions, mode };
    const put = (field: number, value: number) => (arena.u32[(regions.desc + field) >>> 2] = value);
    put(ABI.SLOT_NPAGES, this.region.pages);
    put(ABI.SLOT_ID, this.id); // address space 0
    put(ABI.SLOT_ARMED, regions.armed);
    put(ABI.SLOT_DIRTY, regions.dirty);
    put(ABI.SLOT_SNAPSHOT, regions.snapshot);
    put(ABI.SLOT_CLEAR_ARG, regions.clearArg);
    put(ABI.SLOT_CONTENTS, regions.contents);
    put(ABI.SLOT_COLLECTED, regions.collected);
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
    const { arena, regions, mode } = this.#bitmapVerb('getDirtyLog');
    const dirtyPages = mode.manualProtect
      ? arena.engine.getDirtyLogManual(regions.desc)
      : arena.engine.getDirtyLog(regions.desc);
    return { bitmap: arena.u8.slice(regions.snapshot, regions.snapshot + regions.bitmapBytes), dirtyPages };
  }

  /**
   * KVM_CLEAR_DIRTY_LOG: bit j of `bitmap` names page firstPage + j. Clears those bits and
   * re-arms the pages that were actually dirty. Returns the number of pages re-armed.
   */
  clearDirtyLog(firstPage: number, numPages: number, bitmap: ArrayBufferView): number {
    const { arena, regions } = this.#bitmapVerb('clearDirtyLog');
    requireInteger('firstPage', firstPage, 0, this.pages);
    requireInteger('numPages', numPages, 0, this.pages);
    if (!ArrayBuffer.isView(bitmap)) throw new TypeError(`bitmap must be a typed array or DataView, got ${describe(bitmap)}`);
    const need = bitmapBytes(numPages);
    if (bitmap.byteLength < need) {
      throw new RangeError(`bitmap has ${bitmap.byteLength} bytes but numPages ${numPages} needs ${need} (one bit per page, whole 64-bit words)`);
    }
    arena.u8.set(new Uint8Array(bitmap.buffer, bitmap.byteOffset, need), regions.clearArg);
    // The engine checks KVM's alignment rules before it changes anything.
    const r = arena.engine.clearDirtyLog(regions.desc, firstPage, numPages);
    if (r < 0) throw new RangeError(clearDirtyLogError(r, firstPage, numPages, this.pages));
    return r;
  }

  /** Whether the next write to `page` will fault and be logged. */
  isArmed(page: number): boolean {
    const { arena, regions } = this.#use();
    return this.#bit(arena, regions.armed, page, 'page');
  }

  /** The live dirty-bitmap bit of `page` (bitmap mode or backup bitmap). */
  isDirty(page: number): boolean {
    const { arena, regions } = this.#use();
    return this.#bit(arena, regions.dirty, page, 'page');
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
    if (!regions.contents) throw new Error(`slot ${this.id} keeps no contents: set region.contents to true`);
    const w = (regions.contents + page * ABI.PAGE_SIZE) >>> 2;
    return (BigInt(arena.u32[w + 1]!) << 32n) | BigInt(Atomics.load(arena.u32, w));
  }

  /** @internal validate a page index for a write through this slot. */
  checkPage(page: number): void {
    requireInteger('page', page, 0, this.pages - 1, `slot ${this.id} has ${this.pages} pages`);
  }

  #bit(arena: Arena, bitmap: number, page: number, name: string): boolean {
    requireInteger(name, page, 0, this.pages - 1, `slot ${this.id} has ${this.pages} pages`);
    return ((Atomics.load(arena.u32, (bitmap >>> 2) + (page >>> 5)) >>> (page & 31)) & 1) === 1;
  }

  #use() {
    if (!this.#bound) this.#getArena();
    return this.#bound!;
  }

  #bitmapVerb(verb: string) {
    const b = this.#use();
    if (!b.mode.hasBitmap) {
      throw new Error(`${verb}: slot ${this.id} has no dirty bitmap in ring mode (KVM returns -ENXIO): enable ringWithBitmap, or harvest the rings`);
    }
    if (!this.#logging) {
      throw new Error(`${verb}: dirty logging is off for slot ${this.id} (KVM returns -ENOENT): call enableDirtyLogging() first`);
    }
    return b;
  }

  #applyLogging(on: boolean): void {
    const { arena, regions, mode } = this.#bound!;
    const { engine, u32 } = arena;
    const flags = on ? ABI.SLOT_F_LOG_DIRTY | (mode.hasBitmap ? ABI.SLOT_F_HAS_BITMAP : 0) : 0;
    // Publish the flags last when turning on, first when turning off, so a concurrent
    // reset never re-arms into a slot whose bitmaps are being rewritten.
    if (!on) Atomics.store(u32, (regions.desc + ABI.SLOT_FLAGS) >>> 2, 0);
    const initiallySet = on && mode.hasBitmap && mode.manualProtect && mode.initiallySet;
    engine.bitmapFill(regions.dirty, this.pages, initiallySet);
    engine.bitmapFill(regions.armed, this.pages, on && !initiallySet);
    if (on) Atomics.store(u32, (regions.desc + ABI.SLOT_FLAGS) >>> 2, flags);
    this.#logging = on;
  }
}

function clearDirtyLogError(code: number, first: number, num: number, pages: number): string {
  const end = first + num;
  switch (code) {
    case ABI.CLEAR_EINVAL_FIRST_PAGE:
      return `clearDirtyLog: firstPage (${first}) must be a multiple of 64: use ${first - (first % 64)}`;
    case ABI.CLEAR_EINVAL_RANGE:
      return `clearDirtyLog: firstPage + numPages (${end}) runs past the slot's ${pages} pages: shorten numPages to ${pages - first}`;
    case ABI.CLEAR_EINVAL_NUM_PAGES:
      return `clearDirtyLog: numPages (${num}) must be a multiple of 64 unless the range reaches the slot end (${pages}): use ${num - (num % 64)} or ${pages - first}`;
    default:
      return `clearDirtyLog: the engine returned unknown code ${code}`;
  }
}
