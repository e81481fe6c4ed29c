/**
 * What a mode collects through on the kvm backend: the verbs of context.ts carried out by the
 * kernel on the real VM (the rings' mmap, KVM_RESET_DIRTY_RINGS, KVM_GET_DIRTY_LOG,
 * KVM_CLEAR_DIRTY_LOG), and the VMM's own steps on the arena as on the model: harvested
 * records go through the arena's harvest buffers and are marked by the engine, GET's bitmap
 * lands in the slot's snapshot, and pages are read from the guest's real memory. So every
 * mode, and every broken mode that breaks a VMM's step, runs unchanged on both backends.
 */
import type { KvmVm } from '../backend/kvm/kvm-vm.ts';
import type { Arena } from '../kvm/arena.ts';
import { INT_MAX, markHarvested } from '../kvm/dirty-ring.ts';
import { copyPages, mirrorOffsets, reapStepwise, timer, type CollectContext, type CollectVerbs, type ContextOptions } from './context.ts';

/** Bind the verbs to the real VM `kvm`, whose memslot `slot` memories are `guest` (by slot id). */
export function kvmCollectContext(arena: Arena, kvm: KvmVm, guest: ReadonlyMap<number, Uint8Array>, o: Omit<ContextOptions, 'resetCostNs'>): CollectContext {
  const mirrorAt = mirrorOffsets(arena, o.slots);
  const timed = timer(o.times);
  const snapshot = (slot: number) => {
    const r = arena.plan.slots[slot]!;
    return arena.u8.subarray(r.snapshot, r.snapshot + r.bitmapBytes);
  };
  const verbs: CollectVerbs = {
    reap: () => reapStepwise(verbs, o.vcpus),
    harvest: (vcpu) => timed('harvestMs', () => kvm.harvestInto(vcpu, arena.u32, arena.plan.harvestBufs[vcpu]! >>> 2, arena.vcpus[vcpu]!.entries)),
    markHarvested: (vcpu, n) => timed('harvestMs', () => markHarvested(arena, vcpu, n)),
    reset: () => timed('resetMs', () => kvm.resetDirtyRings(INT_MAX, undefined)),
    // Classic or copy-only is the VM's (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), as in KVM.
    getDirtyLog: (slot) => {
      kvm.getDirtyLogInto(slot, snapshot(slot));
      return arena.engine.bitmapCount(arena.plan.slots[slot]!.snapshot, arena.slots[slot]!.npages);
    },
    markSnapshot: (slot) => {
      const r = arena.plan.slots[slot]!;
      arena.engine.bitmapOr(r.collected, r.snapshot, arena.slots[slot]!.npages);
    },
    clearDirtyLog: (slot, first, num) => {
      kvm.clearDirtyLogFrom(slot, first, num, snapshot(slot).subarray(first / 8));
      return 0; // KVM does not say how many pages it re-protected
    },
    readPages: (slot) => {
      if (o.mirror && guest.has(slot)) copyPages(arena, slot, guest.get(slot)!, o.mirror, mirrorAt.get(slot)!);
    },
  };
  return { arena, vcpus: o.vcpus, slots: o.slots, clearChunkPages: o.clearChunkPages ?? 2 ** 18, verbs };
}
