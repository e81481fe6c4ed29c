// kvm_dirty_gfn state transitions. Each function is the only place its transition's
// memory ordering is decided; callers never touch the flags word directly.
//
// Wasm atomics are sequentially consistent, which is at least as strong as the
// release/acquire pairs KVM needs (ACQ_REL capability), so a plain atomic store
// publishes and a plain atomic load acquires.
import { GFN_FLAGS, GFN_SLOT, GFN_OFFSET, GFN_F_DIRTY, GFN_F_RESET } from "./layout.generated";
import { gfnWritePayload } from "./ring_index";

/** Acquire-load of the flags word: payload reads must come after this. */
// @ts-ignore: decorator
@inline export function gfnFlags(e: usize): u32 {
  return atomic.load<u32>(e + GFN_FLAGS);
}

/** Payload: slot field (as_id << 16 | slot_id). Read only after gfnFlags. */
// @ts-ignore: decorator
@inline export function gfnSlot(e: usize): u32 {
  return load<u32>(e + GFN_SLOT);
}

/** Payload: page offset inside the memslot. Untrusted: userspace may have rewritten it. */
// @ts-ignore: decorator
@inline export function gfnOffset(e: usize): u64 {
  return load<u64>(e + GFN_OFFSET);
}

/** Kernel push, 00 -> 01: payload first, then publish DIRTY (smp_wmb + store in KVM). */
// @ts-ignore: decorator
@inline export function gfnMarkDirty(e: usize, slot: u32, offset: u64): void {
  gfnWritePayload(e, slot, offset);
  atomic.store<u32>(e + GFN_FLAGS, GFN_F_DIRTY);
}

/**
 * Userspace harvest, 01 -> 1X. A plain store: the harvest publishes its whole batch with one
 * sequentially consistent store of the fetch index (dirtyRingHarvest), and the reset loads
 * the fetch index, sequentially consistent too, before it reads any flag (dirtyRingReset).
 * That load synchronizes with the store, so every RESET of the batch, and every payload read
 * before it, happens-before the walk: the edge KVM's per-entry release (harvester) and
 * acquire (kernel) give, paid once per batch. The bytes of each entry stay KVM's. Wasm has
 * no release store: a per-entry atomic store is a locked xchg on x86.
 */
// @ts-ignore: decorator
@inline export function gfnMarkHarvested(e: usize): void {
  store<u32>(e + GFN_FLAGS, GFN_F_RESET);
}

/**
 * Kernel reset, 1X -> 00. A plain store: the producer reuses an entry only after it
 * acquire-loads reset_index, and dirtyRingReset publishes reset_index with one seq-cst
 * store after the walk, which orders every clear (and payload read) of the walk before it.
 * Wasm has no release store, so a per-entry atomic store would cost a locked xchg each.
 */
// @ts-ignore: decorator
@inline export function gfnMarkReset(e: usize): void {
  store<u32>(e + GFN_FLAGS, 0);
}
