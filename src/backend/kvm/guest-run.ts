/**
 * A threaded run's guest side, from any thread of the process: each vCPU's guest control
 * block (GCB, guest.ts) with its workload, stop word and ground-truth bitmap, and, for the
 * vCPU's own thread, KVM_RUN of guest.S `run` and the exits that matter. Everything is
 * rebuilt from a {@link KvmVmHandle} and a {@link GuestRunSpec}, plain numbers a worker gets.
 */
import { ABI } from '../../layout.ts';
import { EXIT, KVM, REG, RUN_EXIT_REASON, RUN_MMIO_PHYS_ADDR } from './abi.ts';
import { CODE, DONE, GCB_FIELDS, GCB_STRIDE, GUEST_BYTES, GUEST_ENTRY, runArea, type RunArea } from './guest.ts';
import type { KvmVmHandle } from './kvm-vm.ts';
import type { Libc } from './libc.ts';

export interface GuestRunSpec {
  readonly vcpus: number;
  /** The memslot the workloads write. */
  readonly slot: number;
  /** Pages each ground-truth bitmap covers: the slot's with verify, else 0. */
  readonly truthPages: number;
  readonly zipfRanks: number;
}

/** What a workload starts from: the model's fields (layout.ts VCPU_FIELDS W_*), after configureWorkload. */
export interface GuestWorkload {
  readonly pattern: number;
  readonly start: number;
  readonly pages: number;
  readonly cursor: number;
  readonly stride: number;
  readonly zipfRanks: number;
  readonly passes: number;
  /** The xorshift64* state, both halves. */
  readonly rng: bigint;
}

type Field = keyof typeof GCB_FIELDS;

/**
 * One vCPU's GCB: a view of the guest's slot. Every access is one Atomics load or store of
 * the field's width, so a guest running on another CPU never sees half a value.
 */
export class Gcb {
  readonly #u32: Uint32Array;
  readonly #u64: BigUint64Array;

  constructor(guest: ArrayBuffer, readonly gpa: number) {
    this.#u32 = new Uint32Array(guest, gpa, GCB_STRIDE / 4);
    this.#u64 = new BigUint64Array(guest, gpa, GCB_STRIDE / 8);
  }

  get(f: Field): number {
    const { at, type } = GCB_FIELDS[f];
    return type === 'u32' ? Atomics.load(this.#u32, at / 4) : Number(Atomics.load(this.#u64, at / 8));
  }

  /** A u64 field's exact value (the RNG state needs all 64 bits). */
  getBig(f: Field): bigint {
    const { at, type } = GCB_FIELDS[f];
    return type === 'u32' ? BigInt(Atomics.load(this.#u32, at / 4)) : Atomics.load(this.#u64, at / 8);
  }

  set(f: Field, v: number | bigint): void {
    const { at, type } = GCB_FIELDS[f];
    if (type === 'u32') Atomics.store(this.#u32, at / 4, Number(v));
    else Atomics.store(this.#u64, at / 8, BigInt(v));
  }
}

export class GuestRun {
  readonly area: RunArea;
  readonly #libc: Libc;
  readonly #handle: KvmVmHandle;
  readonly #guest: ArrayBuffer;
  readonly #gcbs: Gcb[];
  readonly #slotGpa: number;

  constructor(libc: Libc, handle: KvmVmHandle, readonly spec: GuestRunSpec) {
    this.#libc = libc;
    this.#handle = handle;
    this.area = runArea(spec.vcpus, spec.truthPages, spec.zipfRanks);
    this.#guest = libc.view(handle.guest, GUEST_BYTES);
    this.#gcbs = Array.from({ length: spec.vcpus }, (_, v) => new Gcb(this.#guest, this.area.gcb(v)));
    const slot = handle.slots.find((s) => s.id === spec.slot);
    if (!slot) throw new RangeError(`the kvm run's memslot ${spec.slot} is not defined`);
    this.#slotGpa = slot.gpa;
  }

  gcb(vcpu: number): Gcb {
    return this.#gcbs[vcpu]!;
  }

  /**
   * Start vCPU `vcpu`'s workload from `w`: the first write of `run` is the model's first. The
   * guest looks at its stop word after every `batch` writes (1: after every write).
   */
  configure(vcpu: number, w: GuestWorkload, batch = 1): void {
    const g = this.gcb(vcpu);
    g.set('BATCH', batch);
    g.set('STOP', 0);
    g.set('STAMP', 0);
    g.set('LEFT', 0);
    g.set('WRITES', 0);
    g.set('TRUTH', 0);
    g.set('SLOT_GPA', this.#slotGpa);
    g.set('RNG', w.rng);
    g.set('ZIPF', this.area.zipf);
    g.set('PATTERN', w.pattern);
    g.set('START', w.start);
    g.set('PAGES', w.pages);
    g.set('CURSOR', w.cursor);
    g.set('STRIDE', w.stride);
    g.set('ZIPF_N', w.zipfRanks);
    g.set('PASSES', w.passes);
  }

  /** The Zipf CDF every vCPU's guest reads (u32 per rank, scaled to 2^32). */
  writeZipf(cdf: Uint32Array): void {
    new Uint32Array(this.#guest, this.area.zipf, cdf.length).set(cdf);
  }

  /** Kick: the guest leaves at its next write boundary. */
  stop(vcpu: number): void {
    this.gcb(vcpu).set('STOP', 1);
  }

  stopAll(): void {
    for (let v = 0; v < this.spec.vcpus; v++) this.stop(v);
  }

  /** Start (or stop) recording completed writes in each vCPU's ground-truth bitmap. */
  recordTruth(on: boolean): void {
    for (let v = 0; v < this.spec.vcpus; v++) this.gcb(v).set('TRUTH', on ? this.area.truth(v) : 0);
  }

  /**
   * OR every vCPU's ground-truth bitmap into `into` from u32 word `at` (the verifier's bitmap
   * in the arena), and clear them. Only while recording is off: the guests write them.
   */
  gatherTruth(into: Uint32Array, at: number): void {
    const words = this.area.truthBytes / 4;
    for (let v = 0; v < this.spec.vcpus; v++) {
      const bits = new Uint32Array(this.#guest, this.area.truth(v), words);
      for (let i = 0; i < words; i++) {
        const b = bits[i]!;
        if (b === 0) continue;
        into[at + i]! |= b;
        bits[i] = 0;
      }
    }
  }

  /** The memslot's memory, as the guest wrote it. */
  contents(): Uint8Array {
    const s = this.#handle.slots.find((x) => x.id === this.spec.slot)!;
    return new Uint8Array(this.#libc.view(s.host, s.pages * ABI.PAGE_SIZE));
  }

  /** vCPU `vcpu` driven from its own thread (KVM_RUN blocks that thread). */
  cpu(vcpu: number): GuestCpu {
    return new GuestCpu(this.#libc, this.#handle, vcpu, this.gcb(vcpu));
  }
}

/** Why KVM_RUN returned: the guest left at a write boundary (stop word or slice done), or KVM_EXIT_DIRTY_RING_FULL. */
export type GuestExit = 'left' | 'ring-full';

/** One vCPU of a run, from its own thread. */
export class GuestCpu {
  readonly #libc: Libc;
  readonly #fd: number;
  readonly #run: DataView;
  readonly #scratch: number;
  #entered = false;

  constructor(libc: Libc, handle: KvmVmHandle, vcpu: number, readonly gcb: Gcb) {
    this.#libc = libc;
    const v = handle.vcpus[vcpu];
    if (!v) throw new RangeError(`the kvm run has no vCPU ${vcpu}`);
    this.#fd = v.fd;
    this.#run = new DataView(libc.view(v.run, handle.runBytes));
    this.#scratch = libc.mapAnonymous(4096);
  }

  /**
   * KVM_RUN until the guest leaves or its ring is full. The first entry points it at `run`;
   * later ones resume it where it stopped (after its DONE store, or on the store a full ring
   * interrupted, which it then retries).
   */
  enter(): GuestExit {
    if (!this.#entered) {
      const regs = new BigUint64Array(this.#libc.view(this.#scratch, 144));
      regs.fill(0n);
      regs[REG.RDI] = BigInt(this.gcb.gpa);
      regs[REG.RIP] = BigInt(CODE + GUEST_ENTRY.run);
      regs[REG.RFLAGS] = 2n;
      this.#libc.ioctl(this.#fd, KVM.SET_REGS, this.#scratch, 'KVM_SET_REGS');
      this.#entered = true;
    }
    this.#libc.ioctl(this.#fd, KVM.RUN, 0, 'KVM_RUN');
    const reason = this.#run.getUint32(RUN_EXIT_REASON, true);
    if (reason === EXIT.DIRTY_RING_FULL) return 'ring-full';
    if (reason === EXIT.MMIO && Number(this.#run.getBigUint64(RUN_MMIO_PHYS_ADDR, true)) === DONE) return 'left';
    throw new Error(`KVM_RUN: the guest stopped with exit reason ${reason} instead of leaving through its "done" store: a bug in the kvm backend's guest`);
  }

  /** Unmap this thread's scratch page. */
  close(): void {
    this.#libc.unmap(this.#scratch, 4096);
  }
}
