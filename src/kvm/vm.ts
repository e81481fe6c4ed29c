/**
 * The VM: KVM's VM-level verbs over a backend, the model (default: one shared arena and the
 * wasm or js engine) or the real /dev/kvm (`backend: 'kvm'`).
 *
 * This class checks arguments (TypeError or RangeError naming the option), keeps the VM's
 * configuration, and works out what KVM answers to each call (rules.ts); the backend does the
 * verb. The model backend gives the rules' answer; the kvm backend asks the kernel.
 */
import { ARCHES, BACKEND_KINDS, type Arch, type BackendKind, type VmBackend } from '../backend/backend.ts';
import { ModelDeviation } from '../backend/errors.ts';
import { openKvmBackend, type KvmVm } from '../backend/kvm/index.ts';
import { ENGINE_KINDS, type EngineKind } from '../engine/exports.ts';
import { ABI, MAX_VCPUS } from '../layout.ts';
import { describe, rejectUnknownKeys, requireBoolean, requireInteger, requireObject, requireOneOf } from '../validate.ts';
import { engineModule, type Arena } from './arena.ts';
import { dirtyRingSize, type DirtyRingSize } from './dirty-ring-size.ts';
import { INT_MAX } from './dirty-ring.ts';
import { Memslot, type MemoryRegion } from './memslot.ts';
import { ModelBackend } from './model-backend.ts';
import { faultOutcome, type FaultOutcome } from './outcomes.ts';
import { RING_PROTOCOLS, type RingProtocol } from './ring-protocol.ts';
import * as rules from './rules.ts';
import { Vcpu, ownSlot } from './vcpu.ts';

export type { Arena } from './arena.ts';
export type { Arch, BackendKind } from '../backend/backend.ts';

export interface CreateVmOptions {
  /** `model` (default): the arena and an engine; `kvm`: this machine's /dev/kvm through koffi. */
  readonly backend?: BackendKind;
  /** `wasm` (default) or `js`: the same algorithms in TypeScript, the baseline (model backend). */
  readonly engine?: EngineKind;
  /** Whose KVM rules apply: `x86` (default) or `arm64` (model backend; the kvm backend is this host's). */
  readonly arch?: Arch;
  /** vCPUs this VM may ever have (KVM_CAP_MAX_VCPUS), at most {@link MAX_VCPUS}. @default vcpus, or 8 */
  readonly maxVcpus?: number;
  /** Memslot ids the VM reserves room for, so slots can be defined after vCPUs (model). @default the slots defined when the first vCPU is created */
  readonly maxSlots?: number;
  /** Bytes of guest memory all memslots may hold, so slots can be defined after vCPUs (model). @default what is defined when the first vCPU is created */
  readonly maxMemory?: number;
  /** Bytes of scratch space for batch calls (page lists). @default 1 MiB */
  readonly scratchBytes?: number;
  /** Ranks of the shared Zipf CDF table that Zipf workloads read. @default 0 */
  readonly zipfRanks?: number;
  // Declarative shorthand: applied in KVM's order by createVm.
  /** x86 Page Modification Logging (kvm_intel.pml=1): writes go to a 512-entry per-vCPU log first. */
  readonly pml?: boolean;
  /**
   * How the dirty rings tell the VMM what they hold: `flags` (KVM's per-entry DIRTY and RESET),
   * `indices` (the RFC's shared avail_index and fetch_index, in one cache line) or
   * `indices-apart` (the same, 64 bytes apart). Model backend only. @default 'flags'
   */
  readonly ringProtocol?: RingProtocol;
  readonly dirtyRing?: DirtyRingOptions;
  readonly ringWithBitmap?: boolean;
  readonly manualProtect?: boolean | ManualProtectOptions;
  /** Memslots 0, 1, ... in order. */
  readonly slots?: readonly MemoryRegion[];
  /** Create this many vCPUs at once. */
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
const CREATE_KEYS = ['backend', 'engine', 'arch', 'maxVcpus', 'maxSlots', 'maxMemory', 'scratchBytes', 'zipfRanks', 'pml', 'ringProtocol', 'dirtyRing', 'ringWithBitmap', 'manualProtect', 'slots', 'vcpus'];
const REGION_KEYS = ['pages', 'logDirtyPages', 'contents'];
const VCPU_LIMIT = `dirtylog's arena holds at most ${MAX_VCPUS} vCPUs (KVM allows 4096)`;

export async function createVm(options: CreateVmOptions = {}): Promise<Vm> {
  const opts = requireObject('options', options);
  rejectUnknownKeys('options', opts, CREATE_KEYS);
  const backendKind = requireOneOf('options.backend', opts.backend, BACKEND_KINDS, 'model');
  const engine = requireOneOf('options.engine', opts.engine, ENGINE_KINDS, 'wasm');
  const arch = requireOneOf('options.arch', opts.arch, ARCHES, 'x86');
  const vcpus = opts.vcpus === undefined ? 0 : requireInteger('options.vcpus', opts.vcpus, 0, MAX_VCPUS, VCPU_LIMIT);
  const maxVcpus = requireInteger('options.maxVcpus', opts.maxVcpus ?? (vcpus || DEFAULT_MAX_VCPUS), 1, MAX_VCPUS, VCPU_LIMIT);
  if (vcpus > maxVcpus) throw new RangeError(`options.vcpus must be at most options.maxVcpus (${maxVcpus}), got ${vcpus}: raise maxVcpus`);
  const maxSlots = opts.maxSlots === undefined ? undefined : requireInteger('options.maxSlots', opts.maxSlots, 1, rules.KVM_USER_MEM_SLOTS);
  const maxMemory = opts.maxMemory === undefined ? undefined : requireInteger('options.maxMemory', opts.maxMemory, 0, 2 ** 52, 'bytes of guest memory in all memslots');
  const scratchBytes = requireInteger('options.scratchBytes', opts.scratchBytes ?? DEFAULT_SCRATCH, 0, 2 ** 31);
  const zipfRanks = requireInteger('options.zipfRanks', opts.zipfRanks ?? 0, 0, 2 ** 24);
  const ringProtocol = requireOneOf('options.ringProtocol', opts.ringProtocol, RING_PROTOCOLS, 'flags');
  if (backendKind === 'kvm' && ringProtocol !== 'flags') {
    throw new RangeError(`options.ringProtocol ${ringProtocol} exists only in the model (KVM dropped shared indices for per-entry flags in 2020): use backend 'model', or ringProtocol 'flags'`);
  }
  const model = { engine, maxVcpus, scratchBytes, zipfRanks, maxSlots, maxMemory, ringProtocol };
  // The whole shorthand is validated on a model shadow before anything is applied.
  const apply = new Vm(arch, maxVcpus, new ModelBackend({ ...model, module: undefined })).prepare(opts, backendKind === 'kvm');
  const backend = backendKind === 'kvm'
    ? await openKvmBackend({ arch })
    : new ModelBackend({ ...model, module: await engineModule(engine) });
  const vm = new Vm(arch, maxVcpus, backend);
  apply(vm);
  for (let i = 0; i < vcpus; i++) vm.createVcpu();
  return vm;
}

export class Vm {
  readonly arch: Arch;
  readonly maxVcpus: number;
  #backend: VmBackend;
  #pml = false;
  #ring: DirtyRingSize | undefined;
  #ringWithBitmap = false;
  #manualProtect = false;
  #initiallySet = false;
  #slots = new Map<number, Memslot>();
  #vcpus: Vcpu[] = [];
  #devices: Vcpu[] = [];

  /** @internal use {@link createVm}. */
  constructor(arch: Arch, maxVcpus: number, backend: VmBackend) {
    this.arch = arch;
    this.maxVcpus = maxVcpus;
    this.#backend = backend;
  }

  /** @internal validate createVm's shorthand on this VM (a shadow) and return what applies it to another. */
  prepare(opts: Record<string, unknown>, kernelDecides = false): (target?: Vm) => void {
    const steps: ((vm: Vm) => void)[] = [];
    const model = this.#backend instanceof ModelBackend ? this.#backend.options : undefined;
    const shadow = new Vm(this.arch, this.maxVcpus, new ModelBackend({
      engine: 'js', maxVcpus: this.maxVcpus, scratchBytes: 0, zipfRanks: 0, maxSlots: undefined, maxMemory: undefined, ringProtocol: 'flags', ...model, module: undefined,
    }));
    const run = (step: (vm: Vm) => void) => {
      try {
        step(shadow); // throws here, before the real VM is touched
      } catch (err) {
        // What the model refuses on purpose, the kernel of a kvm VM may accept: it decides.
        if (!(kernelDecides && err instanceof ModelDeviation)) throw err;
      }
      steps.push(step);
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
    return (target) => steps.forEach((s) => s(target ?? this));
  }

  get backend(): BackendKind {
    return this.#backend.kind;
  }

  /** KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING): per-vCPU dirty rings replace the bitmaps. */
  enableDirtyRing(options: DirtyRingOptions): DirtyRingSize {
    const o = requireObject('dirtyRing', options);
    rejectUnknownKeys('dirtyRing', o, ['entries', 'pml']);
    const pml = requireBoolean('dirtyRing.pml', o.pml, false);
    if (this.#pml && !pml) {
      throw new RangeError('enableDirtyRing: PML is on for this VM, so the ring must reserve room for a PML drain: set dirtyRing.pml to true');
    }
    const expected = rules.enableDirtyRing(this.#state(), o.entries, pml);
    this.#backend.enableDirtyRing(Number(o.entries) * ABI.GFN_SIZE, pml, expected);
    const size = dirtyRingSize(o.entries, pml);
    this.#pml ||= size.pml;
    this.#ring = size;
    return size;
  }

  /**
   * Intel PML (kvm_intel.pml=1): a guest write to an armed page goes to the vCPU's 512-entry
   * log, which reaches the ring or bitmap only at the next exit (log full, kick, stop). Model only.
   */
  enablePml(): void {
    const model = this.#model('enablePml');
    if (this.#vcpus.length || this.#devices.length) throw new rules.KvmError('EINVAL', 'enablePml: the VM already has vCPUs: enable it before creating vCPUs');
    if (this.#ring && !this.#ring.pml) {
      throw new RangeError('enablePml: the dirty ring was enabled without PML and reserves no room for a PML drain: enable the ring with dirtyRing.pml true instead');
    }
    model.enablePml();
    this.#pml = true;
  }

  get pml(): boolean {
    return this.#pml;
  }

  /** KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP (arm64 only): a backup bitmap per slot for vCPU-less writes. */
  enableDirtyRingWithBitmap(): void {
    this.#backend.enableDirtyRingWithBitmap(rules.enableDirtyRingWithBitmap(this.#state()));
    this.#ringWithBitmap = true;
  }

  /** KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: GET stops clearing and re-arming; CLEAR does it. Allowed after vCPUs, as in KVM. */
  enableManualDirtyLogProtect(options: ManualProtectOptions = {}): void {
    const o = requireObject('manualProtect', options);
    rejectUnknownKeys('manualProtect', o, ['initiallySet']);
    const initiallySet = requireBoolean('manualProtect.initiallySet', o.initiallySet, false);
    this.#backend.enableManualDirtyLogProtect(initiallySet, undefined);
    this.#manualProtect = true;
    this.#initiallySet = initiallySet;
  }

  /**
   * KVM_SET_USER_MEMORY_REGION: define memslot `slot` with `pages` 4 KiB pages, or change the
   * flags of an existing one (same size). Allowed after vCPUs, within maxSlots and maxMemory.
   */
  setUserMemoryRegion(region: MemoryRegion & { readonly slot: number }): Memslot {
    const r = requireObject('region', region);
    rejectUnknownKeys('region', r, ['slot', ...REGION_KEYS]);
    const slot = requireInteger('region.slot', r.slot, 0, 0xffff, 'KVM takes a u16 slot id in address space 0');
    const pages = requireInteger('region.pages', r.pages, 0, 2 ** 40);
    const logDirtyPages = requireBoolean('region.logDirtyPages', r.logDirtyPages, true);
    const contents = requireBoolean('region.contents', r.contents, false);
    const old = this.#slots.get(slot);
    const spec = { slot, pages, logDirtyPages, contents };
    this.#backend.setUserMemoryRegion(spec, rules.setUserMemoryRegion(spec, old?.region));
    if (old) {
      old.setLogging(logDirtyPages);
      return old;
    }
    const memslot = new Memslot(this, this.#backend, slot, { pages, logDirtyPages, contents });
    this.#slots.set(slot, memslot);
    return memslot;
  }

  /** KVM_CREATE_VCPU. On the model, the first one lays the arena out. */
  createVcpu(): Vcpu {
    if (this.#devices.length) throw new RangeError('createVcpu: create every vCPU before any device, so vCPU ids stay dense');
    const id = this.#vcpus.length;
    this.#backend.createVcpu(id, this.#roomForAnother('createVcpu'));
    const vcpu = new Vcpu(this, this.#backend, id, this.#ring && { size: this.#ring, protocol: this.ringProtocol });
    this.#vcpus.push(vcpu);
    return vcpu;
  }

  /**
   * A writer with no vCPU (a device, or KVM's own writes, as arm64's vGIC/ITS table saves):
   * it has no ring, no PML and no MMU, so every write is marked dirty, in the backup bitmap
   * with ringWithBitmap or the dirty bitmap in bitmap mode, and not logged in pure ring mode;
   * write protection is left alone. It takes one of the maxVcpus control blocks, so a thread
   * can run a workload on it. Model only.
   */
  createDevice(): Vcpu {
    const model = this.#model('createDevice');
    const id = this.#vcpus.length + this.#devices.length;
    model.createVcpu(id, this.#roomForAnother('createDevice'), true);
    const device = new Vcpu(this, model, id, undefined);
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

  /** How this VM's rings tell the VMM what they hold (createVm's ringProtocol; always `flags` on KVM). */
  get ringProtocol(): RingProtocol {
    return this.#backend instanceof ModelBackend ? this.#backend.options.ringProtocol : 'flags';
  }

  get manualProtect(): boolean {
    return this.#manualProtect;
  }

  get initiallySet(): boolean {
    return this.#initiallySet;
  }

  get ringWithBitmap(): boolean {
    return this.#ringWithBitmap;
  }

  /**
   * KVM_RESET_DIRTY_RINGS: walk every vCPU's ring, clear harvested entries and re-arm their
   * pages. Returns the entries reset (capped at INT_MAX across all rings, as KVM does).
   * `limit` (model only) stops the walk sooner. With shared indices, a ring whose fetch_index
   * is more than its size past its reset_index fails the call (KvmError EINVAL) before any
   * ring is reset.
   */
  resetDirtyRings(options: { readonly limit?: number } = {}): number {
    const o = requireObject('options', options);
    rejectUnknownKeys('options', o, ['limit']);
    const limit = requireInteger('options.limit', o.limit ?? INT_MAX, 0, INT_MAX);
    if (limit !== INT_MAX) this.#model('resetDirtyRings({ limit })');
    return this.#backend.resetDirtyRings(limit, rules.resetDirtyRings(this.#state()));
  }

  /**
   * A write with no vCPU (kvm_write_guest: a device, or KVM itself): marked dirty every
   * time, write protection left alone. In ring mode it lands in the slot's backup bitmap
   * when ringWithBitmap is on, else KVM warns and it is not logged. Model only.
   */
  deviceWrite(slot: Memslot, page: number, stamp = 0): FaultOutcome {
    const s = ownSlot(this, slot);
    s.checkPage(page);
    requireInteger('stamp', stamp, 0, 0xffffffff);
    return faultOutcome(this.#model('deviceWrite').write(-1, s.id, page, stamp));
  }

  /**
   * Model a pending signal on the resetting thread: while set, a reset walk (in any thread)
   * stops at its next entry. Lets a VMM bound a reset that a hostile scribbler keeps feeding.
   * The shared-indices walk has no such check, as in the RFC: its length is the validated
   * fetch_index, at most one ring.
   */
  setResetSignalPending(pending: boolean): void {
    if (typeof pending !== 'boolean') throw new TypeError(`pending must be true or false, got ${describe(pending)}`);
    this.#model('setResetSignalPending').arena.vm.resetAbort = pending ? 1 : 0;
  }

  get stats(): VmStats {
    const model = this.#model('stats');
    const { vm } = model.arena;
    return { rejectedBatches: vm.rejectedBatches, rejectedPages: vm.rejectedPages, noVcpuLogs: vm.noVcpuLogs, tlbFlushes: model.tlbFlushes };
  }

  /**
   * Release the VM. On the kvm backend: close every descriptor and unmap every mapping, so a
   * program that makes many VMs holds none it no longer uses; views taken from
   * `slot.contents` and `ring.bytes` must not be read afterwards (the memory is gone). On the
   * model: nothing to do. Calling it again does nothing.
   */
  close(): void {
    this.#backend.close();
  }

  /** @internal The kvm backend itself: what a threaded run hands its workers. */
  get kvm(): KvmVm {
    if (this.#backend.kind === 'kvm') return this.#backend as KvmVm;
    throw new ModelDeviation('vm.kvm is the kvm backend: use createVm({ backend: \'kvm\' })');
  }

  /** The shared memory, layout and engine: what a worker thread needs to join this VM (model). */
  get arena(): Arena {
    return this.#model('arena').arena;
  }

  get engineKind(): EngineKind {
    return this.#model('engineKind').options.engine;
  }

  get module(): WebAssembly.Module | undefined {
    return this.#model('module').options.module;
  }

  #state(): rules.VmState {
    return {
      arch: this.arch,
      ring: this.#ring !== undefined,
      vcpus: this.#vcpus.length + this.#devices.length,
      slots: this.#slots.size,
    };
  }

  #roomForAnother(verb: string): rules.KvmError | undefined {
    if (this.#vcpus.length + this.#devices.length < this.maxVcpus) return undefined;
    return new rules.KvmError('EINVAL', `${verb}: this VM already has maxVcpus (${this.maxVcpus}) vCPUs and devices: raise options.maxVcpus in createVm`);
  }

  /** The model backend, for what only the model has (an arena, PML, devices, counters). */
  #model(what: string): ModelBackend {
    if (this.#backend instanceof ModelBackend) return this.#backend;
    throw new ModelDeviation(`${what} is part of the model only; this VM runs on the ${this.#backend.kind} backend: use createVm({ backend: 'model' })`);
  }
}

function requireProtect(value: unknown): unknown {
  if (typeof value === 'boolean') return value;
  return requireObject('options.manualProtect', value);
}
