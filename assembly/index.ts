// The engine's exports: numbers in, numbers out (byte offsets into the shared arena,
// page indices, counts). No allocation, no mutable globals: every thread instantiates
// this module over the same memory and all shared state lives in the arena.
export { nextNonzeroWord, bitmapFill, bitmapCount, orMask, getDirtyLog, getDirtyLogManual, clearDirtyLog } from "./bitmap";
export { dirtyRingUsed, dirtyRingPush, dirtyRingPushBatch, dirtyRingHarvest, dirtyRingsReset } from "./dirty_ring";
export { faultWrite, guestWrite, faultWriteBatch, pmlDrain } from "./fault";
export { nextPage, runSlice } from "./workload";
export { collectHarvested, dirtyRingsCollect, bitmapOr, bitmapDrain, bitmapAndNot } from "./collect";

/** End of the module's static data: the host checks the arena starts above it. */
export function heapBase(): usize {
  return __heap_base;
}
