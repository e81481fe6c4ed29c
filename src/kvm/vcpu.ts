/** A vCPU (KVM_CREATE_VCPU) and its dirty ring as userspace sees it through mmap. */
import { ABI } from '../layout.ts';
import { describe, requireInteger } from '../validate.ts';
import type { Arena } from './arena.ts';
import type { DirtyRingSize } from './dirty-ring-size.ts';
import { dirtyRingUsed, harvestDirtyRing, harvestedGfn, type DirtyGfn } from './dirty-ring.ts';
import { Memslot } from './memslot.ts';
import { faultOutcome, pushOutcome, type FaultOutcome, type PushOutcome } from './outcomes.ts';

export type { DirtyGfn } from './dirty-ring.ts';

export class Vcpu {
  readonly id: number;
  /** Byte offset of this vCPU's control block in the arena. */
  readonly ctl: number;
  /** The dirty ring, when the VM enabled it. */
  readonly ring: DirtyRing | undefined;
  #owner: object;
  #arena: Arena;

  /** @internal created by Vm.createVcpu; `owner` is the VM. */
  constructor(owner: object, id: number, arena: Arena, ring: DirtyRingSize | undefined, pml = false, device = false) {
    this.#owner = owner;
    this.id = id;
    this.#arena = arena;
    this.ctl = arena.plan.vcpuCtl[id]!;
    const c = arena.vcpus[id]!;
    c.ring = ring ? arena.plan.rings[id]! : 0;
    c.entries = ring?.entries ?? 0;
    c.softLimit = ring?.softLimit ?? 0;
    c.harvestBuf = ring ? arena.plan.harvestBufs[id]! : 0;
    c.pmlBuf = pml ? arena.plan.pmlBufs[id]! : 0;
    c.noVcpu = device ? 1 : 0;
    this.ring = ring ? new DirtyRing(owner, id, arena, ring) : undefined;
  }

  /**
   * A guest write to `page` of `slot` (KVM_RUN of a guest that stores once), through the
   * fault path. In content mode `stamp` is stored in the page's first 8 bytes (dirty_log_test's
   * iteration number). `completed: false` means the store did not happen: write it again
   * after harvesting and resetting the ring.
   */
  write(slot: Memslot, page: number, stamp = 0): FaultOutcome {
    // KVM_RUN on a ring at its soft limit exits again at once: the guest does not run.
    if (this.ring?.isSoftFull) return faultOutcome(ABI.FAULT_RING_FULL);
    return guestWrite(this.#owner, this.#arena, this.ctl, slot, page, stamp);
  }

  /**
   * A VM exit: drain the PML log into the ring or bitmap. `clean` when there was nothing to
   * drain or it all fit; `ring-soft-full` / `ring-full` as for a write.
   */
  drainPml(): FaultOutcome {
    return faultOutcome(this.#arena.engine.pmlDrain(this.ctl));
  }

  /** Entries waiting in the PML log. */
  get pmlEntries(): number {
    return this.#arena.vcpus[this.id]!.pmlIndex;
  }
}

/** @internal refuse a memslot of another VM before it can index this VM's arena. */
export function ownSlot(owner: object, slot: unknown): Memslot {
  if (!(slot instanceof Memslot)) throw new TypeError(`slot must be a Memslot from vm.slot(id), got ${describe(slot)}`);
  if (!slot.belongsTo(owner)) throw new TypeError(`slot ${slot.id} belongs to another VM: use this VM's vm.slot(${slot.id})`);
  return slot;
}

/** @internal shared by Vcpu.write and the vCPU-less Vm.deviceWrite (vcpuCtl 0). */
export function guestWrite(owner: object, arena: Arena, vcpuCtl: number, slot: unknown, page: number, stamp: number): FaultOutcome {
  const s = ownSlot(owner, slot);
  s.checkPage(page);
  requireInteger('stamp', stamp, 0, 0xffffffff);
  return faultOutcome(arena.engine.guestWrite(vcpuCtl, s.desc, page, stamp, 0));
}

export class DirtyRing {
  readonly size: DirtyRingSize;
  #owner: object;
  #id: number;
  #arena: Arena;

  /** @internal */
  constructor(owner: object, id: number, arena: Arena, size: DirtyRingSize) {
    this.#owner = owner;
    this.#id = id;
    this.#arena = arena;
    this.size = size;
  }

  /** The ring's bytes, as userspace's mmap of the vCPU fd at KVM_DIRTY_LOG_PAGE_OFFSET sees them. */
  get bytes(): Uint8Array {
    const at = this.#arena.plan.rings[this.#id]!;
    return this.#arena.u8.subarray(at, at + this.size.bytes);
  }

  /** Entries pushed and not yet reset. */
  get used(): number {
    return dirtyRingUsed(this.#arena, this.#id);
  }

  get isSoftFull(): boolean {
    return this.used >= this.size.softLimit;
  }

  /** The kernel's free-running push counter. */
  get dirtyIndex(): number {
    return this.#ctl.dirtyIndex;
  }

  /** The kernel's free-running reset counter. */
  get resetIndex(): number {
    return this.#ctl.resetIndex;
  }

  /** Userspace's free-running harvest counter. */
  get fetchIndex(): number {
    return this.#ctl.fetchIndex;
  }

  /** Coalesced batches re-armed by resets of this ring (KVM: mmu_lock round trips). */
  get resetBatches(): number {
    return this.#ctl.resetBatches;
  }

  /** Pushes refused because the ring was completely full. */
  get hardFullRefusals(): number {
    return this.#ctl.hardFull;
  }

  /** Pages logged into this ring since creation. */
  get pushes(): number {
    return this.#ctl.pushes;
  }

  /**
   * kvm_dirty_ring_push, as the kernel logs a page: write the entry, publish DIRTY.
   * `soft-full` means the vCPU must now exit; `hard-full` means nothing was pushed.
   */
  push(slot: Memslot, offset: number): PushOutcome {
    const s = ownSlot(this.#owner, slot);
    s.checkPage(offset);
    return pushOutcome(this.#arena.engine.dirtyRingPush(this.#arena.plan.vcpuCtl[this.#id]!, s.id, offset));
  }

  /**
   * Userspace collection: take DIRTY entries in order from the fetch index, mark each
   * RESET, and return them. Frees nothing: only Vm.resetDirtyRings does.
   */
  harvest(max = this.size.entries): DirtyGfn[] {
    requireInteger('max', max, 0, 2 ** 32 - 1);
    const n = harvestDirtyRing(this.#arena, this.#id, max);
    return Array.from({ length: n }, (_, i) => harvestedGfn(this.#arena, this.#id, i));
  }

  get #ctl() {
    return this.#arena.vcpus[this.#id]!;
  }
}
