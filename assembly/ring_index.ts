// The shared-indices protocol's transitions (KVM's RFC v1–v3, struct kvm_dirty_ring_indexes):
// the kernel publishes avail_index after each push, userspace publishes fetch_index after each
// harvest, and the reset reads fetch_index once. Entries carry no state in this protocol: their
// flags word is the RFC's padding, never written. Each function is the only place its
// transition's memory ordering is decided; callers never touch an index word directly.
//
// As in dirty_gfn.ts, Wasm atomics are sequentially consistent, at least as strong as the
// RFC's smp_wmb / WRITE_ONCE / READ_ONCE pairs. Where the two protocols differ is in what
// each side writes: here the consumer writes one word per harvest and never an entry, and
// the producer writes one shared word per push; with flags the consumer writes every entry
// it takes and the producer writes only entries.
import { GFN_SLOT, GFN_OFFSET } from "./layout.generated";

/**
 * Kernel push, payload: slot and offset, plain stores, ordered before the consumer's reads by
 * indexPublishAvail. The flags word is left alone (the RFC's `pad`).
 */
// @ts-ignore: decorator
@inline export function gfnWritePayload(e: usize, slot: u32, offset: u64): void {
  store<u32>(e + GFN_SLOT, slot);
  store<u64>(e + GFN_OFFSET, offset);
}

/**
 * Kernel push, publish: avail_index = dirty_index + 1 after the payload (the RFC's smp_wmb,
 * then WRITE_ONCE). A seq-cst store: every payload store before it happens-before the reads of
 * any thread whose indexAvail returns this value or a later one. One xchg per push, as
 * gfnMarkDirty's flag store; but it lands on the index line, which the consumer reads to
 * learn what is there, so every look by the consumer pulls that line from the producer.
 */
// @ts-ignore: decorator
@inline export function indexPublishAvail(at: usize, avail: u32): void {
  atomic.store<u32>(at, avail);
}

/** Userspace: acquire-load of avail_index; entries below it may be read after it. */
// @ts-ignore: decorator
@inline export function indexAvail(at: usize): u32 {
  return atomic.load<u32>(at);
}

/**
 * Userspace: its own fetch_index. Only userspace writes the word (the kernel only reads it),
 * so a plain load sees the last value this side published.
 */
// @ts-ignore: decorator
@inline export function indexOwnFetch(at: usize): u32 {
  return load<u32>(at);
}

/**
 * Userspace, after reading the entries below `fetch`: publish it. A seq-cst store, one per
 * harvest however many entries it took. The reset loads it (indexFetchForReset) before it
 * re-arms those pages, so every entry read happens-before the re-arm; and the producer
 * reuses an entry only after it acquire-loads the reset_index the reset stores after its
 * walk, so it never overwrites an entry userspace is still reading. No entry is written.
 */
// @ts-ignore: decorator
@inline export function indexPublishFetch(at: usize, fetch: u32): void {
  atomic.store<u32>(at, fetch);
}

/**
 * Kernel reset: READ_ONCE of fetch_index, untrusted. The reset reads it once, validates that
 * copy (fetch - reset_index <= size, else EINVAL) and walks to that copy only, so a thread
 * that rewrites the word meanwhile cannot slip an unchecked value past the check. An acquire:
 * the entries below it were written before the push published them, and userspace's reads
 * of them came before its store.
 */
// @ts-ignore: decorator
@inline export function indexFetchForReset(at: usize): u32 {
  return atomic.load<u32>(at);
}
