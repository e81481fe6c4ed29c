/** A vCPU (KVM_CREATE_VCPU) and its dirty ring as userspace sees it through mmap. */
import { ABI } from '../layout.ts';
import type { DirtyRingSize } from './dirty-ring-size.ts';
import { describe, requireInteger } from '../validate.ts';
import { Memslot } from './memslot.ts';
import { faultOutcome, pushOutcome, type FaultOutcome, type PushOutcome } from './outcomes.ts';
import type { Arena } from './vm.ts';

/** One harvested kvm_dirty_gfn. `offset` is a u64 as read from the ring: untrusted. */
export interface DirtyGfn {
  /** The raw slot field: asId << 16 | slotId. */
  readonly slot: number;
  readonly asId: number;
  readonly slotId: number;
  readonly offset: bigint;
}

export class Vcpu {
  readonly id: number;
  /** Byte offset of this vCPU's control block in the arena. */
  readonly ctl: number;
  /** The dirty ring, when the VM enabled it. */
  readonly ring: DirtyRing | undefined;
  #arena: Arena;

  /** @internal created by Vm.createVcpu. */
  constructor(id: number, arena: Arena, ring: DirtyRingSize | undefined, pml = false) {
    this.id = id;
    this.#arena = arena;
    this.ctl = arena.plan.vcpuCtl[id]!;
    const u32 = arena.u32;
    const put = (field: number, value: number) => (u32[(this.ctl + field) >>> 2] = value);
    put(ABI.VCPU_RING, ring ? arena.plan.rings[id]! : 0);
    put(ABI.VCPU_ENTRIES, ring?.entries ?? 0);
    put(ABI.VCPU_SOFT_LIMIT, ring?.softLimit ?? 0);
    put(ABI.VCPU_HARVEST_BUF, ring ? arena.plan.harvestBufs[id]! : 0);
    put(ABI.VCPU_PML_BUF, pml ? arena.plan.pmlBufs[id]! : 0);
    this.ring = ring ? new DirtyRing(id, this.ctl, arena, ring) : undefined;
  }

  /**
   * A guest write to `page` of `slot` through the fault path. In content mode `stamp` is
   * stored in the page's first 8 bytes after logging (dirty_log_test's iteration number).
   */
  write(slot: Memslot, page: number, stamp = 0): FaultOutcome {
    return guestWrite(this.#arena, this.ctl, slot, page, stamp);
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
    return Atomics.load(this.#arena.u32, (this.ctl + ABI.VCPU_PML_INDEX) >>> 2);
  }
}

/** @internal shared by Vcpu.write and the vCPU-less Vm.deviceWrite (vcpu 0). */
export function guestWrite(arena: Arena, vcpuCtl: number, slot: Memslot, page: number, stamp: number): FaultOutcome {
  if (!(slot instanceof Memslot)) throw new TypeError(`slot must be a Memslot from vm.slot(id), got ${describe(slot)}`);
  slot.checkPage(page);
  requireInteger('stamp', stamp, 0, 0xffffffff);
  return faultOutcome(arena.engine.guestWrite(vcpuCtl, slot.desc, page, stamp, 0));
}

export class DirtyRing {
  readonly size: DirtyRingSize;
  #id: number;
  #ctl: number;
  #arena: Arena;

  /** @internal */
  constructor(id: number, ctl: number, arena: Arena, size: DirtyRingSize) {
    this.#id = id;
    this.#ctl = ctl;
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
    // u32 in Wasm, i32 at the JS boundary: a reset walked past dirty_index by forged
    // entries leaves a "negative" occupancy that KVM, too, reads as nearly full.
    return this.#arena.engine.dirtyRingUsed(this.#ctl) >>> 0;
  }

  get isSoftFull(): boolean {
    return this.used >= this.size.softLimit;
  }

  /** The kernel's free-running push counter. */
  get dirtyIndex(): number {
    return this.#load(ABI.VCPU_DIRTY_INDEX);
  }

  /** The kernel's free-running reset counter. */
  get resetIndex(): number {
    return this.#load(ABI.VCPU_RESET_INDEX);
  }

  /** Userspace's free-running harvest counter. */
  get fetchIndex(): number {
    return this.#load(ABI.VCPU_FETCH_INDEX);
  }

  /** Coalesced batches re-armed by resets of this ring (KVM: mmu_lock round trips). */
  get resetBatches(): number {
    return this.#load(ABI.VCPU_RESET_BATCHES);
  }

  /** Pushes refused because the ring was completely full. */
  get hardFullRefusals(): number {
    return this.#load(ABI.VCPU_HARD_FULL);
  }

  /** Pages logged into this ring since creation. */
  get pushes(): number {
    const w = (this.#ctl + ABI.VCPU_PUSHES) >>> 2;
    return this.#arena.u32[w]! + this.#arena.u32[w + 1]! * 2 ** 32;
  }

  /**
   * kvm_dirty_ring_push, as the kernel logs a page: write the entry, publish DIRTY.
   * `soft-full` means the vCPU must now exit; `hard-full` means nothing was pushed.
   */
  push(slot: Memslot, offset: number): PushOutcome {
    if (!(slot instanceof Memslot)) throw new TypeError(`slot must be a Memslot from vm.slot(id), got ${describe(slot)}`);
    slot.checkPage(offset);
    return pushOutcome(this.#arena.engine.dirtyRingPush(this.#ctl, slot.id, offset));
  }

  /**
   * Userspace collection: take DIRTY entries in order from the fetch index, mark each
   * RESET, and return them. Frees nothing: only Vm.resetDirtyRings does.
   */
  harvest(max = this.size.entries): DirtyGfn[] {
    requireInteger('max', max, 0, 2 ** 32 - 1);
    const { engine, u32, plan } = this.#arena;
    const n = engine.dirtyRingHarvest(this.#ctl, max);
    const buf = plan.harvestBufs[this.#id]! >>> 2;
    const out: DirtyGfn[] = new Array<DirtyGfn>(n);
    for (let i = 0; i < n; i++) {
      const rec = buf + 4 * i;
      const slot = u32[rec + ABI.GFN_SLOT / 4]!;
      const lo = u32[rec + ABI.GFN_OFFSET / 4]!;
      const hi = u32[rec + ABI.GFN_OFFSET / 4 + 1]!;
      out[i] = { slot, asId: slot >>> 16, slotId: slot & 0xffff, offset: (BigInt(hi) << 32n) | BigInt(lo) };
    }
    return out;
  }

  #load(field: number): number {
    return Atomics.load(this.#arena.u32, (this.#ctl + field) >>> 2);
  }
}
