/**
 * The dirty-ring verbs, as plain functions over an arena: userspace's harvest of one ring,
 * the decoding of harvested kvm_dirty_gfn records, the VMM's marking of them in its own
 * bitmaps, and KVM_RESET_DIRTY_RINGS. `Vm`, `DirtyRing` and the collector thread all call
 * these; nothing else calls the engine's ring exports.
 */
import { ABI } from '../layout.ts';
import type { DirtyGfn } from '../backend/backend.ts';
import { KvmError } from '../backend/errors.ts';
import type { Arena } from './arena.ts';

export type { DirtyGfn } from '../backend/backend.ts';

/** KVM caps one KVM_RESET_DIRTY_RINGS at INT_MAX entries across all rings. */
export const INT_MAX = 0x7fffffff;

/**
 * Userspace collection of vCPU `vcpu`'s ring: take DIRTY entries in order from the fetch
 * index into the harvest buffer, each handed back as RESET. Returns the records taken (at
 * most `max`, at most one ring). Frees nothing: only {@link resetDirtyRings} does.
 */
export function harvestDirtyRing(arena: Arena, vcpu: number, max: number): number {
  return arena.engine.dirtyRingHarvest(arena.plan.vcpuCtl[vcpu]!, max);
}

/** Record `i` of vCPU `vcpu`'s harvest buffer: the one decoder of harvested entries. */
export function harvestedGfn(arena: Arena, vcpu: number, i: number): DirtyGfn {
  const rec = (arena.plan.harvestBufs[vcpu]! + i * ABI.GFN_SIZE) >>> 2;
  const slot = arena.u32[rec + ABI.GFN_SLOT / 4]!;
  const lo = arena.u32[rec + ABI.GFN_OFFSET / 4]!;
  const hi = arena.u32[rec + ABI.GFN_OFFSET / 4 + 1]!;
  return { slot, asId: slot >>> 16, slotId: slot & 0xffff, offset: (BigInt(hi) << 32n) | BigInt(lo) };
}

/**
 * Overwrite record `i`'s slot field (a VMM that loses an entry, for the verifier's proof):
 * the record then names no slot and marking skips it.
 */
export function forgetHarvestedGfn(arena: Arena, vcpu: number, i: number): void {
  arena.u32[(arena.plan.harvestBufs[vcpu]! + i * ABI.GFN_SIZE + ABI.GFN_SLOT) >>> 2] = 0xffff;
}

/**
 * QEMU's kvm_dirty_ring_mark_page: set the first `n` harvested records of `vcpu` in their
 * slots' collected bitmaps. Records are untrusted; an unknown slot or an offset past the end
 * is skipped. Returns the records skipped.
 */
export function markHarvested(arena: Arena, vcpu: number, n: number): number {
  return arena.engine.collectHarvested(arena.plan.vcpuCtl[vcpu]!, n);
}

/**
 * KVM_RESET_DIRTY_RINGS over the rings of `vcpus`: clear harvested entries and re-arm their
 * pages, at most `limit` entries in all (KVM: INT_MAX). Returns the entries reset. With shared
 * indices, a fetch_index more than the ring's size past its reset_index is a KvmError EINVAL
 * (the RFC's only check of what userspace wrote), and nothing is reset.
 */
export function resetDirtyRings(arena: Arena, vcpus: readonly number[], limit = INT_MAX): number {
  const r = arena.engine.dirtyRingsReset(ringList(arena, vcpus), vcpus.length, limit);
  if (r >= 0) return r;
  const vcpu = vcpus[ABI.RESET_EINVAL_FETCH - r]!;
  const ctl = arena.vcpus[vcpu]!;
  const fetch = Atomics.load(arena.u32, ctl.fetchAt >>> 2);
  const avail = Atomics.load(arena.u32, ctl.availAt >>> 2);
  throw new KvmError('EINVAL', `KVM_RESET_DIRTY_RINGS: vCPU ${vcpu}'s fetch_index ${fetch} is ${(fetch - ctl.resetIndex) >>> 0} entries past its reset_index ${ctl.resetIndex}, more than the ring's ${ctl.entries}: publish a fetch_index from reset_index to avail_index (${avail}); nothing was reset`);
}

/**
 * The VMM's reap of every ring in one pass (QEMU's kvm_dirty_ring_reap): harvest the rings of
 * `vcpus` and mark each entry straight into the collected bitmaps, no harvest-buffer copy,
 * at most `max` entries per ring. Returns the entries harvested; skipped ones are counted in
 * the VM block.
 */
export function collectDirtyRings(arena: Arena, vcpus: readonly number[], max = 0xffffffff): number {
  return arena.engine.dirtyRingsCollect(ringList(arena, vcpus), vcpus.length, max);
}

/** The control-block offsets of `vcpus`, written where the engine's VM-wide ring verbs read them. */
function ringList(arena: Arena, vcpus: readonly number[]): number {
  const at = arena.plan.ringList >>> 2;
  for (let i = 0; i < vcpus.length; i++) arena.u32[at + i] = arena.plan.vcpuCtl[vcpus[i]!]!;
  return arena.plan.ringList;
}

/** Entries pushed and not yet reset (kvm_dirty_ring_used). */
export function dirtyRingUsed(arena: Arena, vcpu: number): number {
  // u32 in Wasm, i32 at the JS boundary: a reset walked past dirty_index by forged entries
  // leaves a "negative" occupancy that KVM, too, reads as nearly full.
  return arena.engine.dirtyRingUsed(arena.plan.vcpuCtl[vcpu]!) >>> 0;
}

/** The ring is at its soft limit: the vCPU must exit with KVM_EXIT_DIRTY_RING_FULL. */
export function dirtyRingSoftFull(arena: Arena, vcpu: number): boolean {
  const ctl = arena.vcpus[vcpu]!;
  return ctl.entries !== 0 && dirtyRingUsed(arena, vcpu) >= ctl.softLimit;
}

/**
 * The batch a poller waits for before it reaps a ring of `ringEntries` (an eighth of the ring,
 * at least 64): reaping whatever is there would chase the producer entry by entry.
 */
export const pollBatch = (ringEntries: number): number => Math.min(ringEntries, Math.max(64, ringEntries / 8));

/**
 * Whether vCPU `vcpu`'s ring holds at least `batch` entries not yet harvested, as a poller
 * would ask it: with flags, from the DIRTY flag of the batch's last entry (dirtyGfnIsDirtied);
 * with shared indices, from avail_index, the only way to know. That read is the one the RFC's
 * review argued over: avail_index's line is written by every push, so each look pulls it
 * from the producer (and, with the indices adjacent, the line the consumer's fetch_index is in).
 */
export function ringBatchReady(arena: Arena, vcpu: number, batch: number): boolean {
  const ctl = arena.vcpus[vcpu]!;
  if (!ctl.availAt) return dirtyGfnIsDirtied(arena, vcpu, batch - 1);
  // Acquire, as the harvest's: entries below avail_index are read after it.
  return ((Atomics.load(arena.u32, ctl.availAt >>> 2) - Atomics.load(arena.u32, ctl.fetchAt >>> 2)) >>> 0) >= batch;
}

/**
 * QEMU's dirty_gfn_is_dirtied for the entry `ahead` places past vCPU `vcpu`'s fetch index.
 * Userspace sees only entry flags; dirty_index is the kernel's. That is also why a poller
 * must look here and not at the index: the index's line is written by every push, so each
 * look would pull it away from the producer, while the entry is written once.
 */
export function dirtyGfnIsDirtied(arena: Arena, vcpu: number, ahead: number): boolean {
  const ctl = arena.vcpus[vcpu]!;
  const entry = ctl.ring + ((ctl.fetchIndex + ahead) & (ctl.entries - 1)) * ABI.GFN_SIZE;
  // Acquire, as QEMU's qatomic_load_acquire: the entry's slot and offset are read after it.
  return (Atomics.load(arena.u32, (entry + ABI.GFN_FLAGS) >>> 2) & ABI.GFN_F_MASK) === ABI.GFN_F_DIRTY;
}
