/**
 * The VM: KVM's VM-level verbs over one shared arena.
 *
 * Order follows KVM: enable capabilities, define memslots, then create vCPUs. The first
 * vCPU (or the first call that needs memory) freezes the configuration, lays the arena out
 * once and allocates the one shared WebAssembly.Memory; nothing grows afterwards.
 */
import { ENGINE_KINDS, type EngineKind } from '../engine/exports.ts';
import { KVM_MEM_MAX_NR_PAGES, KVM_USER_MEM_SLOTS, MAX_VCPUS, planArena } from '../layout.ts';
import { describe, rejectUnknownKeys, requireBoolean, requireInteger, requireObject, requireOneOf } from '../validate.ts';
import { createArena, engineModule, type Arena } from './arena.ts';
import { dirtyRingSize, type DirtyRingSize } from './dirty-ring-size.ts';
import { INT_MAX, resetDirtyRings } from './dirty-ring.ts';
import { KvmError } from './errors.ts';
import { Memslot, type MemoryRegion } from './memslot.ts';
import type { FaultOutcome } from './outcomes.ts';
import { Vcpu, guestWrite } from './vcpu.ts';

export type { Arena } from './arena.ts';

export interface CreateVmOptions {
  /** `wasm` (default) or `js`: the same algorithms in TypeScript, the baseline. */
  readonly engine?: EngineKind;
  /** vCPUs this VM may ever have (KVM_CAP_MAX_VCPUS), at most {@link MAX_VCPUS}. @default vcpus, or 8 */
  readonly maxVcpus?: number;
  /** Bytes of scratch space for batch calls (page lists). @default 1 MiB */
  readonly scratchBytes?: number;
  /** Ranks of the shared Zipf CDF table that Zipf workloads read. @default 0 */
  readonly zipfRanks?: number;
  // Declarative shorthand: applied in KVM's order by createVm.
  /** x86 Page Modification Logging (kvm_intel.pml=1): writes go to a 512-entry per-vCPU log first. */
  readonly pml?: boolean;
  readonly dirtyRing?: DirtyRingOptions;
  readonly ringWithBitmap?: boolean;
  readonly manualProtect?: boolean | ManualProtectOptions;
  /** Memslots 0, 1, ... in order. */
  readonly slots?: readonly MemoryRegion[];
  /** Create this many vCPUs at once (freezes the layout). */
  readonly vcpus?: number;
}

export interface DirtyRingOptions {
  /** Ring size in entries (QEMU's dirty-ring-size), a power of two. */
  readonly entries: number;
  /** Intel PML on: 512 more entries are reserved below the hard limit. @default false */
  readonly pml?: boolean;
}

export interface ManualProtectOptions {
  /** KVM_DIRTY_LOG_INITIALLY_SET: the bitmap starts all-ones, re-arming is left to CLEAR. */
  readonly initiallySet?: boolean;
}

export interface VmStats {
  /** Reset batches that failed kvm_reset_dirty_gfn's checks (forged or stale entries). */
  readonly rejectedBatches: number;
  readonly rejectedPages: number;
  /** vCPU-less writes in ring mode without a backup bitmap (KVM warns and drops them). */
  readonly noVcpuLogs: number;
  /** VM-wide TLB flushes: one per KVM_RESET_DIRTY_RINGS that reset anything. */
  readonly tlbFlushes: number;
}

const DEFAULT_MAX_VCPUS = 8;
const DEFAULT_SCRATCH = 1 << 20;
const CREATE_KEYS = ['engine', 'maxVcpus', 'scratchBytes', 'zipfRanks', 'pml', 'dirtyRing', 'ringWithBitmap', 'manualProtect', 'slots', 'vcpus'];
const REGION_KEYS = ['pages', 'logDirtyPages', 'contents'];
const VCPU_LIMIT = `dirtylog's arena holds at most ${MAX_VCPUS} vCPUs (KVM allows 4096)`;

export async function createVm(options: CreateVmOptions = {}): Promise<Vm> {
  const opts = requireObject('options', options);
  rejectUnknownKeys('options', opts, CREATE_KEYS);
  const engine = requireOneOf('options.engine', opts.engine, ENGINE_KINDS, 'wasm');
  const vcpus = opts.vcpus === undefined ? 0 : requireInteger('options.vcpus', opts.vcpus, 0, MAX_VCPUS, VCPU_LIMIT);
  const maxVcpus = requireInteger('options.maxVcpus', opts.maxVcpus ?? (vcpus || DEFAULT_MAX_VCPUS), 1, MAX_VCPUS, VCPU_LIMIT);
  if (vcpus > maxVcpus) throw new RangeError(`options.vcpus must be at most options.maxVcpus (${maxVcpus}), got ${vcpus}: raise maxVcpus`);
  const scratchBytes = requireInteger('options.scratchBytes', opts.scratchBytes ?? DEFAULT_SCRATCH, 0, 2 ** 31);
  const zipfRanks = requireInteger('options.zipfRanks', opts.zipfRanks ?? 0, 0, 2 ** 24);
  const vm = new Vm(engine, maxVcpus, scratchBytes, await engineModule(engine), zipfRanks);
  // Validate the whole shorthand before applying any of it: nothing half-applied.
  const apply = vm.prepare(opts);
  apply();
  for (let i = 0; i < vcpus; i++) vm.createVcpu();
  return vm;
}

export class Vm {
  readonly engineKind: EngineKind;
  readonly maxVcpus: number;
  #scratchBytes: number;
  #zipfRanks: number;
  #module: WebAssembly.Module | undefined;
  #pml = false;
  #ring: DirtyRingSize | undefined;
  #ringWithBitmap = false;
  #manualProtect = false;
  #initiallySet = false;
  #arena: Arena | undefined;
  #slots = new Map<number, Memslot>();
  #vcpus: Vcpu[] = [];
  #devices: Vcpu[] = [];
  #tlbFlushes = 0;

  /** @internal use {@link createVm}. */
  constructor(engine: EngineKind, maxVcpus: number, scratchBytes: number, module: WebAssembly.Module | undefined, zipfRanks = 0) {
    this.engineKind = engine;
    this.maxVcpus = maxVcpus;
    this.#scratchBytes = scratchBytes;
    this.#module = module;
    this.#zipfRanks = zipfRanks;
  }

  /** @internal validate createVm's shorthand and return the function that applies it. */
  prepare(opts: Record<string, unknown>): () => void {
    const steps: (() => void)[] = [];
    const shadow = new Vm(this.engineKind, this.maxVcpus, this.#scratchBytes, undefined);
    const run = (step: (vm: Vm) => void) => {
      step(shadow); // throws here, before the real VM is touched
      steps.push(() => step(this));
    };
    if (requireBoolean('options.pml', opts.pml, false)) run((vm) => vm.enablePml());
    if (opts.dirtyRing !== undefined) run((vm) => vm.enableDirtyRing(opts.dirtyRing as DirtyRingOptions));
    if (requireBoolean('options.ringWithBitmap', opts.ringWithBitmap, false)) run((vm) => vm.enableDirtyRingWithBitmap());
    if (opts.manualProtect !== undefined && requireProtect(opts.manualProtect) !== false) {
      const mp = opts.manualProtect === true ? {} : (opts.manualProtect as ManualProtectOptions);
      run((vm) => vm.enableManualDirtyLogProtect(mp));
    }
    if (opts.slots !== undefined) {
      if (!Array.isArray(opts.slots)) throw new TypeError(`options.slots must be an array of memory regions, got ${describe(opts.slots)}`);
      (opts.slots as unknown[]).forEach((region, i) => {
        const r = requireObject(`options.slots[${i}]`, region);
        rejectUnknownKeys(`options.slots[${i}]`, r, REGION_KEYS);
        run((vm) => vm.setUserMemoryRegion({ ...(r as unknown as MemoryRegion), slot: i }));
      });
    }
    return () => steps.forEach((s) => s());
  }

  /** KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING): per-vCPU dirty rings replace the bitmaps. */
  enableDirtyRing(options: DirtyRingOptions): DirtyRingSize {
    const o = requireObject('dirtyRing', options);
    rejectUnknownKeys('dirtyRing', o, ['entries', 'pml']);
    const size = dirtyRingSize(o.entries, requireBoolean('dirtyRing.pml', o.pml, false));
    this.#beforeVcpus('enableDirtyRing', 'enable the dirty ring before creating vCPUs, as KVM requires');
    if (this.#ring) throw new KvmError('EINVAL', 'enableDirtyRing: the dirty ring is already enabled; enable it once');
    if (this.#pml && !size.pml) {
      throw new RangeError('enableDirtyRing: PML is on for this VM, so the ring must reserve room for a PML drain: set dirtyRing.pml to true');
    }
    if (this.#initiallySet) {
      throw new RangeError('enableDirtyRing: manual protect with initiallySet is on; an all-ones bitmap contradicts ring semantics (QEMU disables manual protect in ring mode): drop initiallySet');
    }
    this.#pml ||= size.pml;
    this.#ring = size;
    return size;
  }

  /**
   * Intel PML (kvm_intel.pml=1): a guest write to an armed page goes to the vCPU's 512-entry
   * log, which reaches the ring or bitmap only at the next exit (log full, kick, stop).
   */
  enablePml(): void {
    this.#beforeVcpus('enablePml', 'enable it before creating vCPUs');
    if (this.#ring && !this.#ring.pml) {
      throw new RangeError('enablePml: the dirty ring was enabled without PML and reserves no room for a PML drain: enable the ring with dirtyRing.pml true instead');
    }
    this.#pml = true;
  }

  get pml(): boolean {
    return this.#pml;
  }

  /** KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP: a backup bitmap per slot for vCPU-less writes. */
  enableDirtyRingWithBitmap(): void {
    this.#beforeVcpus('enableDirtyRingWithBitmap', 'enable it before creating vCPUs');
    if (!this.#ring) throw new KvmError('EINVAL', 'enableDirtyRingWithBitmap: the dirty ring is off: call enableDirtyRing first');
    if (this.#slots.size) throw new KvmError('EINVAL', 'enableDirtyRingWithBitmap: memslots already exist: enable it before setUserMemoryRegion, as KVM requires');
    this.#ringWithBitmap = true;
  }

  /** KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: GET stops clearing and re-arming; CLEAR does it. */
  enableManualDirtyLogProtect(options: ManualProtectOptions = {}): void {
    const o = requireObject('manualProtect', options);
    rejectUnknownKeys('manualProtect', o, ['initiallySet']);
    const initiallySet = requireBoolean('manualProtect.initiallySet', o.initiallySet, false);
    this.#beforeVcpus('enableManualDirtyLogProtect', 'enable it before creating vCPUs');
    if (initiallySet && this.#ring) {
      throw new RangeError('enableManualDirtyLogProtect: initiallySet with the dirty ring would report every page dirty, contradicting ring semantics: drop initiallySet');
    }
    this.#manualProtect = true;
    this.#initiallySet = initiallySet;
  }

  /** KVM_SET_USER_MEMORY_REGION: define memslot `slot` with `pages` 4 KiB pages. */
  setUserMemoryRegion(region: MemoryRegion & { readonly slot: number }): Memslot {
    const r = requireObject('region', region);
    rejectUnknownKeys('region', r, ['slot', ...REGION_KEYS]);
    const slot = requireInteger('region.slot', r.slot, 0, KVM_USER_MEM_SLOTS - 1);
    const pages = requireInteger('region.pages', r.pages, 1, KVM_MEM_MAX_NR_PAGES, 'split larger guests into several slots, as KVM does (KVM_MEM_MAX_NR_PAGES)');
    const logDirtyPages = requireBoolean('region.logDirtyPages', r.logDirtyPages, true);
    const contents = requireBoolean('region.contents', r.contents, false);
    this.#beforeVcpus('setUserMemoryRegion', 'define every memslot before creating vCPUs (dirtylog sizes its shared memory once)');
    if (this.#slots.has(slot)) throw new KvmError('EINVAL', `setUserMemoryRegion: slot ${slot} already exists: use another region.slot`);
    const memslot = new Memslot(this, slot, { pages, logDirtyPages, contents }, () => this.#materialize());
    this.#slots.set(slot, memslot);
    return memslot;
  }

  /** KVM_CREATE_VCPU. The first call freezes caps and memslots and allocates the arena. */
  createVcpu(): Vcpu {
    this.#roomForAnother('createVcpu');
    if (this.#devices.length) throw new RangeError('createVcpu: create every vCPU before any device, so vCPU ids stay dense');
    const vcpu = new Vcpu(this, this.#vcpus.length, this.#materialize(), this.#ring, this.#pml);
    this.#vcpus.push(vcpu);
    return vcpu;
  }

  /**
   * A writer with no vCPU (a device, or KVM's own writes, as arm64's vGIC/ITS table saves):
   * it has no ring, no PML and no MMU, so every write is marked dirty, in the backup bitmap
   * with ringWithBitmap or the dirty bitmap in bitmap mode, and not logged in pure ring mode;
   * write protection is left alone. It takes one of the maxVcpus control blocks, so a thread
   * can run a workload on it.
   */
  createDevice(): Vcpu {
    this.#roomForAnother('createDevice');
    const device = new Vcpu(this, this.#vcpus.length + this.#devices.length, this.#materialize(), undefined, false, true);
    this.#devices.push(device);
    return device;
  }

  get vcpus(): readonly Vcpu[] {
    return this.#vcpus;
  }

  get devices(): readonly Vcpu[] {
    return this.#devices;
  }

  /** The memslot with this id. */
  slot(id: number): Memslot {
    const s = this.#slots.get(id);
    if (!s) throw new RangeError(`slot must be a defined memslot id (${[...this.#slots.keys()].join(', ') || 'none defined'}), got ${describe(id)}`);
    return s;
  }

  get slots(): readonly Memslot[] {
    return [...this.#slots.values()];
  }

  get dirtyRing(): DirtyRingSize | undefined {
    return this.#ring;
  }

  get manualProtect(): boolean {
    return this.#manualProtect;
  }

  get ringWithBitmap(): boolean {
    return this.#ringWithBitmap;
  }

  /**
   * KVM_RESET_DIRTY_RINGS: walk every vCPU's ring, clear harvested entries and re-arm their
   * pages. Returns the entries reset (capped at INT_MAX across all rings, as KVM does).
   */
  resetDirtyRings(options: { readonly limit?: number } = {}): number {
    const o = requireObject('options', options);
    rejectUnknownKeys('options', o, ['limit']);
    const limit = requireInteger('options.limit', o.limit ?? INT_MAX, 0, INT_MAX);
    if (!this.#ring) throw new KvmError('EINVAL', 'resetDirtyRings: the dirty ring is not enabled: call enableDirtyRing first');
    const count = resetDirtyRings(this.#materialize(), this.#vcpus.map((v) => v.id), limit);
    if (count > 0) this.#tlbFlushes++;
    return count;
  }

  /**
   * A write with no vCPU (kvm_write_guest: a device, or KVM itself): marked dirty every
   * time, write protection left alone. In ring mode it lands in the slot's backup bitmap
   * when ringWithBitmap is on, else KVM warns and it is not logged.
   */
  deviceWrite(slot: Memslot, page: number, stamp = 0): FaultOutcome {
    return guestWrite(this, this.#materialize(), 0, slot, page, stamp);
  }

  /**
   * Model a pending signal on the resetting thread: while set, a reset walk (in any thread)
   * stops at its next entry. Lets a VMM bound a reset that a hostile scribbler keeps feeding.
   */
  setResetSignalPending(pending: boolean): void {
    if (typeof pending !== 'boolean') throw new TypeError(`pending must be true or false, got ${describe(pending)}`);
    this.#materialize().vm.resetAbort = pending ? 1 : 0;
  }

  get stats(): VmStats {
    const { vm } = this.#materialize();
    return { rejectedBatches: vm.rejectedBatches, rejectedPages: vm.rejectedPages, noVcpuLogs: vm.noVcpuLogs, tlbFlushes: this.#tlbFlushes };
  }

  /** The shared memory, layout and engine: what a worker thread needs to join this VM. */
  get arena(): Arena {
    return this.#materialize();
  }

  get module(): WebAssembly.Module | undefined {
    return this.#module;
  }

  #beforeVcpus(verb: string, fix: string): void {
    if (this.#arena) throw new KvmError('EINVAL', `${verb}: the VM's layout is frozen once a vCPU exists or its memory is used: ${fix}`);
  }

  #roomForAnother(verb: string): void {
    if (this.#vcpus.length + this.#devices.length >= this.maxVcpus) {
      throw new KvmError('EINVAL', `${verb}: this VM already has maxVcpus (${this.maxVcpus}) vCPUs and devices: raise options.maxVcpus in createVm`);
    }
  }

  #materialize(): Arena {
    if (this.#arena) return this.#arena;
    const maxId = Math.max(-1, ...this.#slots.keys());
    const table = Array.from({ length: maxId + 1 }, (_, id) => {
      const r = this.#slots.get(id)?.region;
      return { pages: r?.pages ?? 0, contents: r?.contents ?? false };
    });
    const plan = planArena({
      maxVcpus: this.maxVcpus,
      ringEntries: this.#ring?.entries ?? 0,
      slots: table,
      scratchBytes: this.#scratchBytes,
      pml: this.#pml,
      zipfRanks: this.#zipfRanks,
    });
    const arena = createArena(plan, this.engineKind, this.#module);
    arena.vm.nrSlots = table.length;
    arena.vm.nrAs = 1;
    arena.vm.slots = plan.slotTable;
    const ring = this.#ring !== undefined;
    for (const slot of this.#slots.values()) {
      slot.bind(arena, { hasBitmap: !ring || this.#ringWithBitmap, manualProtect: this.#manualProtect, initiallySet: this.#initiallySet });
    }
    this.#arena = arena;
    return arena;
  }
}

function requireProtect(value: unknown): unknown {
  if (typeof value === 'boolean') return value;
  return requireObject('options.manualProtect', value);
}
