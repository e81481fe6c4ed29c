/**
 * The model backend: KVM's verbs carried out on one shared arena by the wasm or js engine.
 *
 * The arena is laid out once, when the first vCPU is created or memory is first used, and
 * never grows. KVM itself accepts memslots and manual protect after vCPUs exist, so the layout
 * keeps room for them: `maxSlots` slot descriptors and bitmaps for `maxMemory` bytes of guest
 * memory in all (createVm's options); a memslot past that is a RangeError naming the option.
 */
import { ModelDeviation } from '../backend/errors.ts';
import type { DirtyGfn, DirtyLog, Expected, SlotSpec, VmBackend } from '../backend/backend.ts';
import type { EngineKind } from '../engine/exports.ts';
import { ABI, planArena, planSlotRegions, slotRegionBytes, type SlotRegions } from '../layout.ts';
import { createArena, type Arena } from './arena.ts';
import { clearDirtyLog, dirtyLogSnapshot, getDirtyLog } from './dirty-log.ts';
import { dirtyRingSize, type DirtyRingSize } from './dirty-ring-size.ts';
import { dirtyRingSoftFull, harvestDirtyRing, harvestedGfn, resetDirtyRings } from './dirty-ring.ts';
import { ringIndexAddresses, type RingProtocol } from './ring-protocol.ts';

export interface ModelOptions {
  readonly engine: EngineKind;
  readonly module: WebAssembly.Module | undefined;
  readonly maxVcpus: number;
  readonly scratchBytes: number;
  readonly zipfRanks: number;
  /** Slot ids below this may be defined after the layout froze; default: those defined by then. */
  readonly maxSlots: number | undefined;
  /** Guest bytes all memslots may hold in all; default: what is defined when the layout freezes. */
  readonly maxMemory: number | undefined;
  /** How each vCPU's ring tells the consumer what it holds (ring-protocol.ts). */
  readonly ringProtocol: RingProtocol;
}

interface ModelSlot {
  readonly spec: SlotSpec;
  logging: boolean;
  regions?: SlotRegions;
}

export class ModelBackend implements VmBackend {
  readonly kind = 'model';
  readonly options: ModelOptions;
  #ring: DirtyRingSize | undefined;
  #pml = false;
  #ringWithBitmap = false;
  #manualProtect = false;
  #initiallySet = false;
  #slots = new Map<number, ModelSlot>();
  #arena: Arena | undefined;
  #reserve = { next: 0, end: 0, maxSlots: 0, maxPages: 0 };
  #tlbFlushes = 0;
  #vcpus = 0;

  constructor(options: ModelOptions) {
    this.options = options;
  }

  enablePml(): void {
    this.#pml = true;
  }

  enableDirtyRing(bytes: number, pml: boolean, expected: Expected): void {
    if (expected) throw expected;
    if (this.#initiallySet) {
      throw new ModelDeviation('enableDirtyRing: manual protect with initiallySet is on; an all-ones bitmap contradicts ring semantics (QEMU disables manual protect in ring mode): drop initiallySet');
    }
    this.#ring = dirtyRingSize(bytes / ABI.GFN_SIZE, pml);
    this.#pml ||= pml;
  }

  enableDirtyRingWithBitmap(expected: Expected): void {
    if (expected) throw expected;
    this.#ringWithBitmap = true;
  }

  enableManualDirtyLogProtect(initiallySet: boolean, expected: Expected): void {
    if (expected) throw expected;
    if (initiallySet && this.#ring) {
      throw new ModelDeviation('enableManualDirtyLogProtect: initiallySet with the dirty ring would report every page dirty, contradicting ring semantics: drop initiallySet');
    }
    this.#manualProtect = true;
    this.#initiallySet = initiallySet;
  }

  setUserMemoryRegion(spec: SlotSpec, expected: Expected): void {
    if (expected) throw expected;
    const old = this.#slots.get(spec.slot);
    if (old) {
      // Same size (the only change KVM accepts besides a delete): a change of flags.
      if (old.logging !== spec.logDirtyPages && old.regions) this.#applyLogging(spec.slot, old, spec.logDirtyPages);
      old.logging = spec.logDirtyPages;
      return;
    }
    const slot: ModelSlot = { spec, logging: spec.logDirtyPages };
    if (this.#arena) this.#placeLate(slot); // throws before anything changes
    this.#slots.set(spec.slot, slot);
    if (this.#arena) this.#bind(this.#arena, spec.slot, slot);
  }

  createVcpu(id: number, expected: Expected, device = false): void {
    if (expected) throw expected;
    const arena = this.arena;
    const c = arena.vcpus[id]!;
    const ring = device ? undefined : this.#ring;
    c.ring = ring ? arena.plan.rings[id]! : 0;
    c.entries = ring?.entries ?? 0;
    c.softLimit = ring?.softLimit ?? 0;
    c.harvestBuf = ring ? arena.plan.harvestBufs[id]! : 0;
    const indexes = ringIndexAddresses(this.options.ringProtocol, ring ? arena.plan.ringIndexes[id]! : 0);
    c.availAt = indexes.availAt;
    c.fetchAt = indexes.fetchAt;
    c.pmlBuf = this.#pml && !device ? arena.plan.pmlBufs[id]! : 0;
    c.noVcpu = device ? 1 : 0;
    this.#vcpus = Math.max(this.#vcpus, id + 1);
  }

  write(vcpu: number, slot: number, page: number, stamp: number): number {
    const arena = this.arena;
    const ctl = vcpu < 0 ? 0 : arena.plan.vcpuCtl[vcpu]!;
    // KVM_RUN on a ring at its soft limit exits again at once: the guest does not run.
    if (vcpu >= 0 && dirtyRingSoftFull(arena, vcpu)) return ABI.FAULT_RING_FULL;
    return arena.engine.guestWrite(ctl, arena.plan.slots[slot]!.desc, page, stamp, 0);
  }

  ringBytes(vcpu: number): Uint8Array {
    const arena = this.arena;
    const at = arena.plan.rings[vcpu]!;
    return arena.u8.subarray(at, at + this.#ring!.bytes);
  }

  harvest(vcpu: number, max: number): DirtyGfn[] {
    const n = harvestDirtyRing(this.arena, vcpu, max);
    return Array.from({ length: n }, (_, i) => harvestedGfn(this.arena, vcpu, i));
  }

  resetDirtyRings(limit: number, expected: Expected): number {
    if (expected) throw expected;
    const count = resetDirtyRings(this.arena, Array.from({ length: this.#vcpus }, (_, i) => i), limit);
    if (count > 0) this.#tlbFlushes++;
    return count;
  }

  getDirtyLog(slot: number, expected: Expected): DirtyLog {
    if (expected) throw expected;
    const dirtyPages = getDirtyLog(this.arena, slot, this.#manualProtect);
    return { bitmap: dirtyLogSnapshot(this.arena, slot).slice(), dirtyPages };
  }

  clearDirtyLog(slot: number, firstPage: number, numPages: number, bitmap: Uint8Array, expected: Expected): number {
    if (expected) throw expected;
    return clearDirtyLog(this.arena, slot, firstPage, numPages, bitmap);
  }

  contents(slot: number): Uint8Array | undefined {
    const r = this.arena.plan.slots[slot]!;
    return r.contents ? this.arena.u8.subarray(r.contents, r.contents + this.#slots.get(slot)!.spec.pages * ABI.PAGE_SIZE) : undefined;
  }

  /** The arena is ordinary memory: the garbage collector's once nothing refers to it. */
  close(): void {}

  get tlbFlushes(): number {
    return this.#tlbFlushes;
  }

  get frozen(): boolean {
    return this.#arena !== undefined;
  }

  /** The arena, laid out on first use. */
  get arena(): Arena {
    return this.#arena ?? this.#materialize();
  }

  #materialize(): Arena {
    const maxId = Math.max(-1, ...this.#slots.keys());
    const maxSlots = Math.max(maxId + 1, this.options.maxSlots ?? 0);
    const table = Array.from({ length: maxSlots }, (_, id) => {
      const s = this.#slots.get(id)?.spec;
      return { pages: s?.pages ?? 0, contents: s?.contents ?? false };
    });
    const definedPages = table.reduce((n, s) => n + s.pages, 0);
    const maxPages = Math.max(definedPages, Math.ceil((this.options.maxMemory ?? 0) / ABI.PAGE_SIZE));
    const free = maxSlots - this.#slots.size;
    const reserveBytes = maxPages > definedPages && free > 0 ? slotRegionBytes(maxPages - definedPages) + free * 6 * ABI.REGION_ALIGN : 0;
    const plan = planArena({
      maxVcpus: this.options.maxVcpus,
      ringEntries: this.#ring?.entries ?? 0,
      slots: table,
      scratchBytes: this.options.scratchBytes,
      pml: this.#pml,
      zipfRanks: this.options.zipfRanks,
      reserveBytes,
    });
    const arena = createArena(plan, this.options.engine, this.options.module);
    arena.vm.nrSlots = table.length;
    arena.vm.nrAs = 1;
    arena.vm.slots = plan.slotTable;
    this.#reserve = { next: plan.reserve, end: plan.reserve + reserveBytes, maxSlots, maxPages };
    this.#arena = arena;
    for (const [id, slot] of this.#slots) {
      slot.regions = plan.slots[id]!;
      this.#bind(arena, id, slot);
    }
    return arena;
  }

  /** A memslot defined after the layout froze: room for it was reserved, or it is refused. */
  #placeLate(slot: ModelSlot): void {
    const { slot: id, pages, contents } = slot.spec;
    const r = this.#reserve;
    if (id >= r.maxSlots) {
      throw new RangeError(`setUserMemoryRegion: slot ${id} is past the ${r.maxSlots} slot ids reserved when the first vCPU froze the layout: raise options.maxSlots in createVm to ${id + 1} or more`);
    }
    const used = [...this.#slots.values()].reduce((n, s) => n + s.spec.pages, 0);
    if (used + pages > r.maxPages) {
      throw new RangeError(`setUserMemoryRegion: ${pages} more pages would make ${used + pages}, past the ${r.maxPages} reserved when the first vCPU froze the layout: raise options.maxMemory in createVm to ${(used + pages) * ABI.PAGE_SIZE} bytes or more`);
    }
    if (contents) {
      throw new RangeError(`setUserMemoryRegion: slot ${id} cannot keep contents once the layout is frozen (the shared memory is sized once): define it before the first vCPU, or set region.contents false`);
    }
    let at = r.next;
    const regions = planSlotRegions(this.#arena!.plan.slotTable + id * ABI.SLOT_STRIDE, pages, false, (bytes) => {
      const start = at;
      at = Math.ceil((at + bytes) / ABI.REGION_ALIGN) * ABI.REGION_ALIGN;
      return start;
    });
    if (at > r.end) throw new RangeError(`setUserMemoryRegion: the reserve is used up: raise options.maxMemory in createVm`);
    r.next = at;
    slot.regions = regions;
  }

  #bind(arena: Arena, id: number, slot: ModelSlot): void {
    const regions = slot.regions!;
    const d = arena.slots[id]!;
    d.npages = slot.spec.pages;
    d.id = id; // address space 0
    d.armed = regions.armed;
    d.dirty = regions.dirty;
    d.snapshot = regions.snapshot;
    d.clearArg = regions.clearArg;
    d.contents = regions.contents;
    d.collected = regions.collected;
    this.#applyLogging(id, slot, slot.logging);
  }

  #applyLogging(id: number, slot: ModelSlot, on: boolean): void {
    const arena = this.arena;
    const regions = slot.regions!;
    const d = arena.slots[id]!;
    const hasBitmap = !this.#ring || this.#ringWithBitmap;
    const owned = hasBitmap ? ABI.SLOT_F_HAS_BITMAP : 0;
    // Publish LOG_DIRTY last when turning on, first when turning off, so a concurrent
    // reset never re-arms into a slot whose bitmaps are being rewritten.
    if (!on) d.flags = owned;
    const initiallySet = on && hasBitmap && this.#manualProtect && this.#initiallySet;
    arena.engine.bitmapFill(regions.dirty, slot.spec.pages, initiallySet);
    arena.engine.bitmapFill(regions.armed, slot.spec.pages, on && !initiallySet);
    if (on) d.flags = owned | ABI.SLOT_F_LOG_DIRTY;
  }
}
