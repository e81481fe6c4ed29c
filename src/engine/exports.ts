/**
 * The engine contract: what `assembly/index.ts` exports, and what the js engine implements
 * over typed arrays. Arguments are byte offsets into the arena, page indices and counts;
 * results are counts or the outcome codes of {@link ABI}. Everything is a plain number.
 */
export interface EngineExports {
  /** First nonzero 64-bit word of a bitmap in [from, words), or `words`. */
  nextNonzeroWord(bitmap: number, from: number, words: number): number;
  /** Set bits [0, npages) (ones) or clear them all. */
  bitmapFill(bitmap: number, npages: number, ones: boolean | number): void;
  bitmapCount(bitmap: number, npages: number): number;
  /** OR a 64-page mask in at page `base` (a re-arm of one reset batch). */
  orMask(bitmap: number, base: number, mask: bigint): void;
  /** KVM_GET_DIRTY_LOG, classic: snapshot, clear and re-arm. Returns dirty pages. */
  getDirtyLog(slotDesc: number): number;
  /** KVM_GET_DIRTY_LOG with manual protect: copy only. Returns dirty pages. */
  getDirtyLogManual(slotDesc: number): number;
  /** KVM_CLEAR_DIRTY_LOG from the slot's clear-arg bitmap. Pages re-armed, or CLEAR_EINVAL_*. */
  clearDirtyLog(slotDesc: number, firstPage: number, numPages: number): number;
  dirtyRingUsed(vcpu: number): number;
  /** PUSH_OK, PUSH_SOFT_FULL or PUSH_HARD_FULL. */
  dirtyRingPush(vcpu: number, slot: number, offset: number): number;
  /** Push pages from a u32 array; returns how many were pushed before a hard-full refusal. */
  dirtyRingPushBatch(vcpu: number, slot: number, pages: number, n: number): number;
  /** Collect up to `max` DIRTY entries into the vCPU's harvest buffer. Returns entries taken. */
  dirtyRingHarvest(vcpu: number, max: number): number;
  /** KVM_RESET_DIRTY_RINGS over the vCPUs whose control-block offsets are the `n` u32s at `list`, at most `limit` entries in all. */
  dirtyRingsReset(list: number, n: number, limit: number): number;
  /** The write fault path; returns a FAULT_* outcome. `vcpu` 0 means no vCPU. */
  faultWrite(vcpu: number, slotDesc: number, page: number): number;
  /** Stamp `value` and `seq` into the page's first 8 bytes (content mode), then faultWrite. */
  guestWrite(vcpu: number, slotDesc: number, page: number, value: number, seq: number): number;
  /** faultWrite over a u32 array of pages; stops at soft-full (inclusive) or hard-full. */
  faultWriteBatch(vcpu: number, slotDesc: number, pages: number, n: number): number;
  /** Drain the vCPU's PML log (a VM exit). FAULT_CLEAN, FAULT_RING_SOFT_FULL or FAULT_RING_FULL. */
  pmlDrain(vcpu: number): number;
  /** The next page the vCPU's workload writes (advances its state). */
  nextPage(vcpu: number): number;
  /** Run a workload slice; returns reason << SLICE_SHIFT | writes. */
  runSlice(vcpu: number, maxWrites: number, stamp: number): number;
  /** Fold `n` harvested records into their slots' collected bitmaps; returns records skipped. */
  collectHarvested(vcpu: number, n: number): number;
  /** Harvest at most `max` entries of each ring of the `n` vCPUs listed at `list` straight into the collected bitmaps; returns entries. */
  dirtyRingsCollect(list: number, n: number, max: number): number;
  /** dst |= src over npages bits; returns the bits set in src. */
  bitmapOr(dst: number, src: number, npages: number): number;
  /** dst |= src, then src = 0; returns the bits moved. */
  bitmapDrain(dst: number, src: number, npages: number): number;
  /** dst &= ~src; returns the bits left in dst. */
  bitmapAndNot(dst: number, src: number, npages: number): number;
}

export const EXPORT_NAMES = [
  'nextNonzeroWord', 'bitmapFill', 'bitmapCount', 'orMask', 'getDirtyLog', 'getDirtyLogManual',
  'clearDirtyLog', 'dirtyRingUsed', 'dirtyRingPush', 'dirtyRingPushBatch', 'dirtyRingHarvest',
  'dirtyRingsReset', 'faultWrite', 'guestWrite', 'faultWriteBatch', 'pmlDrain', 'nextPage', 'runSlice',
  'collectHarvested', 'dirtyRingsCollect', 'bitmapOr', 'bitmapDrain', 'bitmapAndNot',
] as const satisfies readonly (keyof EngineExports)[];

export type EngineKind = 'wasm' | 'js';
export const ENGINE_KINDS: readonly EngineKind[] = ['wasm', 'js'];
