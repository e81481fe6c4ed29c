/**
 * The dirty-bitmap verbs, as plain functions over an arena: KVM_GET_DIRTY_LOG (classic, or
 * a copy with manual protect) and KVM_CLEAR_DIRTY_LOG, with KVM's checks and errnos. `Memslot`
 * and the collector thread call these; nothing else calls the engine's bitmap verbs.
 */
import { ABI } from '../layout.ts';
import type { Arena } from './arena.ts';
import { KvmError } from './errors.ts';

/** KVM's refusals before GET or CLEAR touch anything: ENXIO in ring mode, ENOENT without logging. */
export function checkBitmapVerb(arena: Arena, slot: number, verb: string): void {
  const flags = arena.slots[slot]!.flags;
  if ((flags & ABI.SLOT_F_HAS_BITMAP) === 0) {
    throw new KvmError('ENXIO', `${verb}: slot ${slot} has no dirty bitmap in ring mode: enable ringWithBitmap, or harvest the rings`);
  }
  if ((flags & ABI.SLOT_F_LOG_DIRTY) === 0) {
    throw new KvmError('ENOENT', `${verb}: dirty logging is off for slot ${slot}: call enableDirtyLogging() first`);
  }
}

/**
 * KVM_GET_DIRTY_LOG of slot `slot` into its snapshot region: classic (exchange each dirty
 * word with 0 and re-arm its pages) or, with manual protect, a copy that re-arms nothing.
 * Returns the pages in the snapshot.
 */
export function getDirtyLog(arena: Arena, slot: number, manualProtect: boolean): number {
  checkBitmapVerb(arena, slot, 'getDirtyLog');
  const desc = arena.plan.slots[slot]!.desc;
  return manualProtect ? arena.engine.getDirtyLogManual(desc) : arena.engine.getDirtyLog(desc);
}

/** The snapshot GET wrote: KVM's bitmap, a view into the arena (copy it to keep it). */
export function dirtyLogSnapshot(arena: Arena, slot: number): Uint8Array {
  const r = arena.plan.slots[slot]!;
  return arena.u8.subarray(r.snapshot, r.snapshot + r.bitmapBytes);
}

/**
 * KVM_CLEAR_DIRTY_LOG: bit j of `bitmap` names page firstPage + j. Clears those bits and
 * re-arms the pages that were actually dirty; returns the pages re-armed. KVM's alignment
 * rules are checked by the engine before anything changes.
 */
export function clearDirtyLog(arena: Arena, slot: number, firstPage: number, numPages: number, bitmap: Uint8Array): number {
  checkBitmapVerb(arena, slot, 'clearDirtyLog');
  arena.u8.set(bitmap.subarray(0, Math.ceil(numPages / 64) * 8), arena.plan.slots[slot]!.clearArg);
  return clearDirtyLogInPlace(arena, slot, firstPage, numPages);
}

/**
 * KVM_CLEAR_DIRTY_LOG with its argument already in the slot's clear-arg region (the kernel's
 * copy_from_user done): what the engine benchmark times.
 */
export function clearDirtyLogInPlace(arena: Arena, slot: number, firstPage: number, numPages: number): number {
  checkBitmapVerb(arena, slot, 'clearDirtyLog');
  const r = arena.plan.slots[slot]!;
  const code = arena.engine.clearDirtyLog(r.desc, firstPage, numPages);
  if (code < 0) throw new KvmError('EINVAL', clearError(code, firstPage, numPages, arena.slots[slot]!.npages));
  return code;
}

function clearError(code: number, first: number, num: number, pages: number): string {
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
