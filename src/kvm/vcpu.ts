/** A vCPU (KVM_CREATE_VCPU) and its dirty ring as userspace sees it through mmap. */
import type { VmBackend } from '../backend/backend.ts';
import { ModelDeviation } from '../backend/errors.ts';
import { describe, requireInteger } from '../validate.ts';
import type { Arena } from './arena.ts';
import type { DirtyRingSize } from './dirty-ring-size.ts';
import { dirtyRingUsed, type DirtyGfn } from './dirty-ring.ts';
import { Memslot } from './memslot.ts';
import { ModelBackend } from './model-backend.ts';
import { faultOutcome, pushOutcome, type FaultOutcome, type PushOutcome } from './outcomes.ts';
import type { RingProtocol } from './ring-protocol.ts';

export type { DirtyGfn } from './dirty-ring.ts';

export class Vcpu {
  readonly id: number;
  /** The dirty ring, when the VM enabled it. */
  readonly ring: DirtyRing | undefined;
  #owner: object;
  #backend: VmBackend;

  /** @internal created by Vm.createVcpu; `owner` is the VM. */
  constructor(owner: object, backend: VmBackend, id: number, ring: { readonly size: DirtyRingSize; readonly protocol: RingProtocol } | undefined) {
    this.#owner = owner;
    this.#backend = backend;
    this.id = id;
    this.ring = ring ? new DirtyRing(owner, backend, id, ring.size, ring.protocol) : undefined;
  }

  /** Byte offset of this vCPU's control block in the arena (model). */
  get ctl(): number {
    return model(this.#backend, 'vcpu.ctl').arena.plan.vcpuCtl[this.id]!;
  }

  /**
   * A guest write to `page` of `slot` (KVM_RUN of a guest that stores once), through the
   * fault path. In content mode `stamp` is stored in the page's first 8 bytes (dirty_log_test's
   * iteration number). `completed: false` means the store did not happen: write it again
   * after harvesting and resetting the ring.
   */
  write(slot: Memslot, page: number, stamp = 0): FaultOutcome {
    const s = ownSlot(this.#owner, slot);
    s.checkPage(page);
    requireInteger('stamp', stamp, 0, 0xffffffff);
    return faultOutcome(this.#backend.write(this.id, s.id, page, stamp));
  }

  /**
   * A VM exit: drain the PML log into the ring or bitmap. `clean` when there was nothing to
   * drain or it all fit; `ring-soft-full` / `ring-full` as for a write. Model only.
   */
  drainPml(): FaultOutcome {
    return faultOutcome(model(this.#backend, 'drainPml').arena.engine.pmlDrain(this.ctl));
  }

  /** Entries waiting in the PML log (model). */
  get pmlEntries(): number {
    return model(this.#backend, 'pmlEntries').arena.vcpus[this.id]!.pmlIndex;
  }
}

/** @internal refuse a memslot of another VM before it can index this VM's memory. */
export function ownSlot(owner: object, slot: unknown): Memslot {
  if (!(slot instanceof Memslot)) throw new TypeError(`slot must be a Memslot from vm.slot(id), got ${describe(slot)}`);
  if (!slot.belongsTo(owner)) throw new TypeError(`slot ${slot.id} belongs to another VM: use this VM's vm.slot(${slot.id})`);
  return slot;
}

function model(backend: VmBackend, what: string): ModelBackend {
  if (backend instanceof ModelBackend) return backend;
  throw new ModelDeviation(`${what} is part of the model only (KVM keeps it in the kernel): use createVm({ backend: 'model' })`);
}

export class DirtyRing {
  readonly size: DirtyRingSize;
  /** How this ring tells the VMM what it holds: per-entry flags (KVM's) or shared indices (the RFC's). */
  readonly protocol: RingProtocol;
  #owner: object;
  #backend: VmBackend;
  #id: number;

  /** @internal */
  constructor(owner: object, backend: VmBackend, id: number, size: DirtyRingSize, protocol: RingProtocol) {
    this.#owner = owner;
    this.#backend = backend;
    this.#id = id;
    this.size = size;
    this.protocol = protocol;
  }

  /** The ring's bytes, as userspace's mmap of the vCPU fd at KVM_DIRTY_LOG_PAGE_OFFSET sees them (on the kvm backend, that mmap). */
  get bytes(): Uint8Array {
    return this.#backend.ringBytes(this.#id);
  }

  /** Entries pushed and not yet reset (model: the kernel keeps these counters private). */
  get used(): number {
    return dirtyRingUsed(this.#arena('used'), this.#id);
  }

  get isSoftFull(): boolean {
    return this.used >= this.size.softLimit;
  }

  /** The kernel's free-running push counter. */
  get dirtyIndex(): number {
    return this.#ctl('dirtyIndex').dirtyIndex;
  }

  /** The kernel's free-running reset counter. */
  get resetIndex(): number {
    return this.#ctl('resetIndex').resetIndex;
  }

  /**
   * Userspace's free-running harvest counter: private with flags (KVM never reads it), the
   * shared fetch_index with indices (the reset validates it and walks up to it).
   */
  get fetchIndex(): number {
    const ctl = this.#ctl('fetchIndex');
    return ctl.fetchAt ? Atomics.load(this.#arena('fetchIndex').u32, ctl.fetchAt >>> 2) : ctl.fetchIndex;
  }

  /** The shared avail_index the kernel publishes after each push (shared indices); undefined with flags. */
  get availIndex(): number | undefined {
    const ctl = this.#ctl('availIndex');
    return ctl.availAt ? Atomics.load(this.#arena('availIndex').u32, ctl.availAt >>> 2) : undefined;
  }

  /**
   * Userspace's store to the shared fetch_index (shared indices): what harvest does after
   * reading, and the one number a VMM, hostile or buggy, can hand the kernel in this
   * protocol. The next reset walks up to it if it is at most the ring's size past reset_index,
   * and fails with EINVAL otherwise. Model only; with flags there is no shared index to write.
   */
  publishFetchIndex(fetch: number): void {
    const value = requireInteger('fetch', fetch, 0, 2 ** 32 - 1, 'a u32, as the kernel reads it');
    const ctl = this.#ctl('publishFetchIndex');
    if (!ctl.fetchAt) throw new RangeError(`publishFetchIndex: this ring uses per-entry flags, where the fetch index is userspace's own and the kernel never reads it: create the VM with ringProtocol 'indices' to have a shared one`);
    Atomics.store(this.#arena('publishFetchIndex').u32, ctl.fetchAt >>> 2, value);
  }

  /** Coalesced batches re-armed by resets of this ring (KVM: mmu_lock round trips). */
  get resetBatches(): number {
    return this.#ctl('resetBatches').resetBatches;
  }

  /** Pushes refused because the ring was completely full. */
  get hardFullRefusals(): number {
    return this.#ctl('hardFullRefusals').hardFull;
  }

  /** Pages logged into this ring since creation. */
  get pushes(): number {
    return this.#ctl('pushes').pushes;
  }

  /**
   * kvm_dirty_ring_push, as the kernel logs a page: write the entry, publish DIRTY.
   * `soft-full` means the vCPU must now exit; `hard-full` means nothing was pushed. Model only.
   */
  push(slot: Memslot, offset: number): PushOutcome {
    const s = ownSlot(this.#owner, slot);
    s.checkPage(offset);
    const arena = this.#arena('push');
    return pushOutcome(arena.engine.dirtyRingPush(arena.plan.vcpuCtl[this.#id]!, s.id, offset));
  }

  /**
   * Userspace collection: take DIRTY entries in order from the fetch index, mark each
   * RESET, and return them. Frees nothing: only Vm.resetDirtyRings does.
   */
  harvest(max = this.size.entries): DirtyGfn[] {
    requireInteger('max', max, 0, 2 ** 32 - 1);
    return this.#backend.harvest(this.#id, max);
  }

  #arena(what: string): Arena {
    return model(this.#backend, `ring.${what}`).arena;
  }

  #ctl(what: string) {
    return this.#arena(what).vcpus[this.#id]!;
  }
}
