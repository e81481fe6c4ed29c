/**
 * The kvm backend: KVM's verbs as real ioctls on /dev/kvm. Memslots are anonymous shared
 * mappings (MAP_NORESERVE), each vCPU's ring is the real mmap of its fd, and a write is a
 * real guest store (guest.ts). Everything it holds is a descriptor or an address, so a worker
 * thread can rebuild it from {@link KvmVmHandle}; only the instance that created the VM closes
 * it (every descriptor, every mapping), and only once no thread uses it any more.
 */
import { ABI, bitmapBytes } from '../../layout.ts';
import { kernelAnswer, type DirtyGfn, type DirtyLog, type Expected, type SlotSpec, type VmBackend } from '../backend.ts';
import { ModelDeviation } from '../errors.ts';
import { CAP, EXIT, KVM, KVM_DIRTY_LOG_INITIALLY_SET, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, KVM_DIRTY_LOG_PAGE_OFFSET, KVM_MEM_LOG_DIRTY_PAGES, REG, RUN_EXIT_REASON, RUN_MMIO_PHYS_ADDR } from './abi.ts';
import { CODE, DONE, GPA_LIMIT, GUEST_BYTES, GUEST_ENTRY, GUEST_SLOT, GuestTables, listAt, longModeSregs, USER_BASE } from './guest.ts';
import type { Libc } from './libc.ts';

/** Plain numbers: what another thread of this process needs to drive the same VM. */
export interface KvmVmHandle {
  readonly kvmFd: number;
  readonly vmFd: number;
  readonly runBytes: number;
  readonly guest: number;
  readonly ringBytes: number;
  readonly manualProtect: boolean;
  readonly vcpus: readonly { readonly fd: number; readonly run: number; readonly ring: number }[];
  readonly slots: readonly { readonly id: number; readonly pages: number; readonly gpa: number; readonly host: number; readonly logging: boolean }[];
}

interface VcpuState {
  fd: number;
  run: number;
  ring: number;
  runView: DataView;
  ringWords: Uint32Array | undefined;
  ringView: DataView | undefined;
  /** Entries this vCPU has pushed, as seen after each run: KVM's dirty_index, which it keeps private. */
  pushed: number;
  /** Userspace's fetch index. */
  fetch: number;
}

interface SlotState {
  id: number;
  pages: number;
  gpa: number;
  host: number;
  logging: boolean;
  /** With manual protect: the pages KVM's bitmap held at the last GET (for CLEAR's count). */
  reported?: Uint8Array;
}

export class KvmVm implements VmBackend {
  readonly kind = 'kvm';
  #libc: Libc;
  #h: { kvmFd: number; vmFd: number; runBytes: number; guest: number };
  /** This instance's own page for ioctl arguments: threads driving one VM never share one. */
  #scratchAt: number;
  #ringBytes = 0;
  #manualProtect = false;
  #vcpus: VcpuState[] = [];
  #slots = new Map<number, SlotState>();
  #tables: GuestTables;
  #nextGpa = USER_BASE;
  #scratch: DataView;
  #guest: DataView;
  /** The instance that created the VM owns its descriptors and mappings; one rebuilt from a handle does not. */
  #owner = false;
  #closed = false;

  constructor(libc: Libc, handle: KvmVmHandle, tables?: GuestTables) {
    this.#libc = libc;
    this.#h = handle;
    this.#scratchAt = libc.mapAnonymous(4096);
    this.#scratch = new DataView(libc.view(this.#scratchAt, 4096));
    this.#guest = new DataView(libc.view(handle.guest, GUEST_BYTES));
    this.#tables = tables ?? new GuestTables(this.#guest);
    this.#ringBytes = handle.ringBytes;
    this.#manualProtect = handle.manualProtect;
    for (const s of handle.slots) this.#slots.set(s.id, { ...s });
    for (const v of handle.vcpus) this.#vcpus.push(this.#vcpuState(v.fd, v.run, v.ring));
  }

  /** A new VM: KVM_CREATE_VM, the guest's own slot, its code and first page tables. */
  static create(libc: Libc, kvmFd: number): KvmVm {
    let vmFd = -1;
    const mapped: [number, number][] = [];
    try {
      vmFd = libc.ioctl(kvmFd, KVM.CREATE_VM, 0, 'KVM_CREATE_VM');
      const runBytes = libc.ioctl(kvmFd, KVM.GET_VCPU_MMAP_SIZE, 0, 'KVM_GET_VCPU_MMAP_SIZE');
      const guest = libc.mapAnonymous(GUEST_BYTES);
      mapped.push([guest, GUEST_BYTES]);
      const handle: KvmVmHandle = { kvmFd, vmFd, runBytes, guest, ringBytes: 0, manualProtect: false, vcpus: [], slots: [] };
      const tables = new GuestTables(new DataView(libc.view(guest, GUEST_BYTES)));
      tables.init();
      const vm = new KvmVm(libc, handle, tables);
      vm.#owner = true;
      try {
        vm.#region(GUEST_SLOT, 0, 0, GUEST_BYTES, guest, 'KVM_SET_USER_MEMORY_REGION (the guest\'s own slot)');
      } catch (err) {
        libc.unmap(vm.#scratchAt, 4096);
        throw err;
      }
      return vm;
    } catch (err) {
      for (const [at, bytes] of mapped) libc.unmap(at, bytes);
      if (vmFd >= 0) libc.close(vmFd);
      libc.close(kvmFd);
      throw err;
    }
  }

  /**
   * Release what this instance mapped for itself (its ioctl scratch, its bitmap buffer); the
   * instance that created the VM also closes every descriptor (vCPUs, the VM, /dev/kvm) and
   * unmaps the VM's memory (memslots, rings, kvm_run, the guest's slot). Once only. The
   * creator closes last: no thread may be inside KVM_RUN or read a view of this VM's memory
   * afterwards (a view of unmapped memory crashes the process when read).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const libc = this.#libc;
    libc.unmap(this.#scratchAt, 4096);
    if (this.#bitmapScratch) libc.unmap(this.#bitmapScratch.at, this.#bitmapScratch.bytes);
    if (!this.#owner) return;
    for (const v of this.#vcpus) {
      if (!v) continue;
      if (v.ring) libc.unmap(v.ring, this.#ringBytes);
      libc.unmap(v.run, this.#h.runBytes);
      libc.close(v.fd);
    }
    for (const s of this.#slots.values()) if (s.host) libc.unmap(s.host, s.pages * ABI.PAGE_SIZE);
    libc.unmap(this.#h.guest, GUEST_BYTES);
    libc.close(this.#h.vmFd);
    libc.close(this.#h.kvmFd);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** What a worker thread passes to `new KvmVm(libc, handle)` to drive this VM. */
  handle(): KvmVmHandle {
    return {
      ...this.#h,
      ringBytes: this.#ringBytes,
      manualProtect: this.#manualProtect,
      vcpus: this.#vcpus.map(({ fd, run, ring }) => ({ fd, run, ring })),
      slots: [...this.#slots.values()].map(({ id, pages, gpa, host, logging }) => ({ id, pages, gpa, host, logging })),
    };
  }

  checkExtension(cap: number): number {
    return this.#libc.ioctl(this.#h.vmFd, KVM.CHECK_EXTENSION, cap, 'KVM_CHECK_EXTENSION');
  }

  enableDirtyRing(bytes: number, _pml: boolean, expected: Expected): void {
    kernelAnswer(expected, () => this.#enableCap(CAP.DIRTY_LOG_RING, bytes, 'KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING)'));
    this.#ringBytes = bytes;
  }

  enableDirtyRingWithBitmap(expected: Expected): void {
    kernelAnswer(expected, () => this.#enableCap(CAP.DIRTY_LOG_RING_WITH_BITMAP, 0, 'KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP)'));
  }

  enableManualDirtyLogProtect(initiallySet: boolean, expected: Expected): void {
    const flags = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | (initiallySet ? KVM_DIRTY_LOG_INITIALLY_SET : 0);
    kernelAnswer(expected, () => this.#enableCap(CAP.MANUAL_DIRTY_LOG_PROTECT2, flags, 'KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)'));
    this.#manualProtect = true;
  }

  setUserMemoryRegion(spec: SlotSpec, expected: Expected): void {
    if (spec.slot === GUEST_SLOT) {
      throw new ModelDeviation(`region.slot ${GUEST_SLOT} holds the kvm backend's own guest code and page tables: use another slot id`);
    }
    const old = this.#slots.get(spec.slot);
    const flags = spec.logDirtyPages ? KVM_MEM_LOG_DIRTY_PAGES : 0;
    const bytes = spec.pages * ABI.PAGE_SIZE;
    if (old) {
      // Same slot again: the kernel judges the change (a new size is EINVAL, new flags apply).
      kernelAnswer(expected, () => this.#region(spec.slot, flags, old.gpa, bytes, old.host, 'KVM_SET_USER_MEMORY_REGION'));
      old.logging = spec.logDirtyPages;
      return;
    }
    const gpa = this.#nextGpa;
    const end = gpa + Math.ceil(bytes / (2 << 20)) * (2 << 20);
    if (end > GPA_LIMIT && !expected) {
      throw new RangeError(`region.pages must fit below ${GPA_LIMIT / 2 ** 30} GiB of guest-physical space on the kvm backend (MAXPHYADDR 36 without KVM_SET_CPUID2), got ${spec.pages} pages more: use smaller memslots`);
    }
    if (expected) {
      // The model says KVM refuses it: ask the kernel with no memory behind it, and map none.
      kernelAnswer(expected, () => this.#region(spec.slot, flags, gpa, bytes, 0, 'KVM_SET_USER_MEMORY_REGION'));
      throw new Error(`KVM_SET_USER_MEMORY_REGION accepted slot ${spec.slot} of ${spec.pages} pages, which the model refuses (${expected.message}): a conformance bug`);
    }
    const host = bytes ? this.#libc.mapAnonymous(bytes) : 0;
    try {
      this.#region(spec.slot, flags, gpa, bytes, host, 'KVM_SET_USER_MEMORY_REGION');
    } catch (err) {
      if (host) this.#libc.unmap(host, bytes);
      throw err;
    }
    this.#tables.map(gpa, bytes);
    this.#nextGpa = end;
    this.#slots.set(spec.slot, { id: spec.slot, pages: spec.pages, gpa, host, logging: spec.logDirtyPages });
  }

  createVcpu(id: number, expected: Expected): void {
    const fd = kernelAnswer(expected, () => this.#libc.ioctl(this.#h.vmFd, KVM.CREATE_VCPU, id, 'KVM_CREATE_VCPU'));
    const run = this.#libc.mapFd(fd, this.#h.runBytes, 0);
    const ring = this.#ringBytes ? this.#libc.mapFd(fd, this.#ringBytes, KVM_DIRTY_LOG_PAGE_OFFSET * ABI.PAGE_SIZE) : 0;
    this.#libc.ioctl(fd, KVM.GET_SREGS, this.#scratchAt, 'KVM_GET_SREGS');
    longModeSregs(this.#scratchBytes().subarray(0, 312));
    this.#libc.ioctl(fd, KVM.SET_SREGS, this.#scratchAt, 'KVM_SET_SREGS');
    this.#vcpus[id] = this.#vcpuState(fd, run, ring);
  }

  write(vcpu: number, slot: number, page: number, stamp: number): number {
    const v = this.#vcpus[vcpu]!;
    const s = this.#slots.get(slot)!;
    this.#guest.setBigUint64(listAt(vcpu), BigInt(s.gpa + page * ABI.PAGE_SIZE), true);
    const regs = new BigUint64Array(18);
    regs[REG.RCX] = 1n;
    regs[REG.RDX] = BigInt(stamp);
    regs[REG.RSI] = BigInt(listAt(vcpu));
    regs[REG.RDI] = BigInt(DONE);
    regs[REG.RIP] = BigInt(CODE + GUEST_ENTRY.storeList);
    regs[REG.RFLAGS] = 2n;
    this.#scratchBytes().set(new Uint8Array(regs.buffer));
    this.#libc.ioctl(v.fd, KVM.SET_REGS, this.#scratchAt, 'KVM_SET_REGS');
    this.#libc.ioctl(v.fd, KVM.RUN, 0, 'KVM_RUN');
    const reason = v.runView.getUint32(RUN_EXIT_REASON, true);
    const pushed = this.#countPushes(v);
    if (reason === EXIT.DIRTY_RING_FULL) return pushed ? ABI.FAULT_RING_SOFT_FULL_RETRY : ABI.FAULT_RING_FULL;
    if (reason !== EXIT.MMIO || Number(v.runView.getBigUint64(RUN_MMIO_PHYS_ADDR, true)) !== DONE) {
      throw new Error(`KVM_RUN: the guest stopped with exit reason ${reason} instead of its "done" store: a bug in the kvm backend's guest`);
    }
    if (this.#ringBytes) return pushed ? ABI.FAULT_RING : ABI.FAULT_CLEAN;
    return s.logging ? ABI.FAULT_UNOBSERVED : ABI.FAULT_CLEAN;
  }

  ringBytes(vcpu: number): Uint8Array {
    const v = this.#vcpus[vcpu]!;
    return new Uint8Array(this.#libc.view(v.ring, this.#ringBytes));
  }

  /** QEMU's kvm_dirty_ring_reap_one: acquire DIRTY, read the entry, release RESET, in order. */
  harvest(vcpu: number, max: number): DirtyGfn[] {
    const v = this.#vcpus[vcpu]!;
    const n = this.#ringBytes / ABI.GFN_SIZE;
    const out: DirtyGfn[] = [];
    while (out.length < Math.min(max, n)) {
      const e = (v.fetch % n) * ABI.GFN_SIZE;
      if (Atomics.load(v.ringWords!, e / 4) !== ABI.GFN_F_DIRTY) break;
      const slot = v.ringView!.getUint32(e + ABI.GFN_SLOT, true);
      out.push({ slot, asId: slot >>> 16, slotId: slot & 0xffff, offset: v.ringView!.getBigUint64(e + ABI.GFN_OFFSET, true) });
      Atomics.store(v.ringWords!, e / 4, ABI.GFN_F_RESET);
      v.fetch = (v.fetch + 1) >>> 0;
    }
    return out;
  }

  /**
   * The run's collector: harvest like {@link harvest}, copying each record's four words into
   * `dst` from word `at` (a harvest buffer) instead of building objects. Returns the records.
   */
  harvestInto(vcpu: number, dst: Uint32Array, at: number, max: number): number {
    const v = this.#vcpus[vcpu]!;
    const words = v.ringWords!;
    const n = this.#ringBytes / ABI.GFN_SIZE;
    const first = v.fetch & (n - 1);
    // Acquire every DIRTY flag first (QEMU's kvm_dirty_ring_reap_one, a batch at a time):
    // the records behind them are complete, so they can be copied in one go.
    let taken = 0;
    const limit = Math.min(max, n);
    while (taken < limit && Atomics.load(words, ((first + taken) & (n - 1)) * 4) === ABI.GFN_F_DIRTY) taken++;
    const head = Math.min(taken, n - first);
    dst.set(words.subarray(first * 4, (first + head) * 4), at);
    dst.set(words.subarray(0, (taken - head) * 4), at + head * 4);
    // Hand them back RESET; KVM_RESET_DIRTY_RINGS (a system call, after these stores) reads them.
    for (let i = 0; i < taken; i++) words[((first + i) & (n - 1)) * 4] = ABI.GFN_F_RESET;
    v.fetch = (v.fetch + taken) >>> 0;
    return taken;
  }

  /** QEMU's dirty_gfn_is_dirtied for the entry `ahead` places past this instance's fetch index of `vcpu`'s ring. */
  dirtyGfnIsDirtied(vcpu: number, ahead: number): boolean {
    const v = this.#vcpus[vcpu]!;
    const n = this.#ringBytes / ABI.GFN_SIZE;
    return (Atomics.load(v.ringWords!, ((v.fetch + ahead) & (n - 1)) * 4) & ABI.GFN_F_MASK) === ABI.GFN_F_DIRTY;
  }

  /** KVM_GET_DIRTY_LOG of `slot` straight into `dst` (the run's collector; no bookkeeping for CLEAR's count). */
  getDirtyLogInto(slot: number, dst: Uint8Array): void {
    const bytes = bitmapBytes(this.#slots.get(slot)!.pages);
    const at = this.#bitmapBuffer(bytes);
    this.#scratch.setUint32(0, slot, true);
    this.#scratch.setBigUint64(8, BigInt(at), true);
    this.#libc.ioctl(this.#h.vmFd, KVM.GET_DIRTY_LOG, this.#scratchAt, 'KVM_GET_DIRTY_LOG');
    dst.set(new Uint8Array(this.#libc.view(at, bytes)));
  }

  /** KVM_CLEAR_DIRTY_LOG of pages [first, first + num) named by `bitmap` (the run's collector; returns nothing, as KVM). */
  clearDirtyLogFrom(slot: number, first: number, num: number, bitmap: Uint8Array): void {
    const bytes = bitmapBytes(num);
    const at = this.#bitmapBuffer(bytes);
    new Uint8Array(this.#libc.view(at, bytes)).set(bitmap.subarray(0, bytes));
    this.#scratch.setUint32(0, slot, true);
    this.#scratch.setUint32(4, num, true);
    this.#scratch.setBigUint64(8, BigInt(first), true);
    this.#scratch.setBigUint64(16, BigInt(at), true);
    this.#libc.ioctl(this.#h.vmFd, KVM.CLEAR_DIRTY_LOG, this.#scratchAt, 'KVM_CLEAR_DIRTY_LOG');
  }

  resetDirtyRings(_limit: number, expected: Expected): number {
    return kernelAnswer(expected, () => this.#libc.ioctl(this.#h.vmFd, KVM.RESET_DIRTY_RINGS, 0, 'KVM_RESET_DIRTY_RINGS'));
  }

  getDirtyLog(slot: number, expected: Expected): DirtyLog {
    const pages = this.#slots.get(slot)?.pages ?? 0;
    const bitmap = new Uint8Array(bitmapBytes(pages));
    const arg = this.#scratch;
    arg.setUint32(0, slot, true);
    const at = this.#bitmapBuffer(bitmap.length);
    arg.setBigUint64(8, BigInt(at), true);
    kernelAnswer(expected, () => this.#libc.ioctl(this.#h.vmFd, KVM.GET_DIRTY_LOG, this.#scratchAt, 'KVM_GET_DIRTY_LOG'));
    bitmap.set(new Uint8Array(this.#libc.view(at, bitmap.length)));
    if (this.#manualProtect) this.#slots.get(slot)!.reported = bitmap.slice();
    return { bitmap, dirtyPages: popcount(bitmap) };
  }

  clearDirtyLog(slot: number, firstPage: number, numPages: number, bitmap: Uint8Array, expected: Expected): number {
    const s = this.#slots.get(slot);
    const bytes = bitmapBytes(Math.min(numPages, s?.pages ?? 0));
    const at = this.#bitmapBuffer(bytes);
    const arg = new Uint8Array(this.#libc.view(at, bytes));
    arg.fill(0);
    arg.set(bitmap.subarray(0, bytes));
    this.#scratch.setUint32(0, slot, true);
    this.#scratch.setUint32(4, numPages, true);
    this.#scratch.setBigUint64(8, BigInt(firstPage), true);
    this.#scratch.setBigUint64(16, BigInt(at), true);
    kernelAnswer(expected, () => this.#libc.ioctl(this.#h.vmFd, KVM.CLEAR_DIRTY_LOG, this.#scratchAt, 'KVM_CLEAR_DIRTY_LOG'));
    // KVM returns 0; count the pages asked for that the last GET (manual protect: a copy of KVM's bitmap) reported.
    let count = 0;
    const reported = s?.reported;
    for (let p = 0; reported && p < numPages && p < bytes * 8; p++) {
      const q = firstPage + p;
      if ((arg[p >> 3]! >> (p & 7)) & 1 && (reported[q >> 3]! >> (q & 7)) & 1) {
        count++;
        reported[q >> 3]! &= ~(1 << (q & 7));
      }
    }
    return count;
  }

  contents(slot: number): Uint8Array | undefined {
    const s = this.#slots.get(slot)!;
    return new Uint8Array(this.#libc.view(s.host, s.pages * ABI.PAGE_SIZE));
  }

  #bitmapScratch: { at: number; bytes: number } | undefined;

  /** An address with room for a bitmap of `bytes`: a mapping reused while it is big enough. */
  #bitmapBuffer(bytes: number): number {
    if (!this.#bitmapScratch || this.#bitmapScratch.bytes < bytes) {
      const size = Math.max(4096, Math.ceil(bytes / 4096) * 4096);
      if (this.#bitmapScratch) this.#libc.unmap(this.#bitmapScratch.at, this.#bitmapScratch.bytes);
      this.#bitmapScratch = { at: this.#libc.mapAnonymous(size), bytes: size };
    }
    return this.#bitmapScratch.at;
  }

  /** Entries pushed since the last look: DIRTY flags at and after the push position. */
  #countPushes(v: VcpuState): number {
    if (!v.ringWords) return 0;
    const n = this.#ringBytes / ABI.GFN_SIZE;
    let pushed = 0;
    while (pushed < n && (Atomics.load(v.ringWords, ((v.pushed % n) * ABI.GFN_SIZE) / 4) & ABI.GFN_F_MASK) === ABI.GFN_F_DIRTY) {
      v.pushed = (v.pushed + 1) >>> 0;
      pushed++;
    }
    return pushed;
  }

  #vcpuState(fd: number, run: number, ring: number): VcpuState {
    const ringBuf = ring ? this.#libc.view(ring, this.#ringBytes) : undefined;
    return {
      fd, run, ring, pushed: 0, fetch: 0,
      runView: new DataView(this.#libc.view(run, this.#h.runBytes)),
      ringWords: ringBuf && new Uint32Array(ringBuf),
      ringView: ringBuf && new DataView(ringBuf),
    };
  }

  #enableCap(cap: number, arg0: number, verb: string): number {
    const s = this.#scratch;
    for (let i = 0; i < 104; i += 8) s.setBigUint64(i, 0n, true);
    s.setUint32(0, cap, true);
    s.setBigUint64(8, BigInt(arg0), true);
    return this.#libc.ioctl(this.#h.vmFd, KVM.ENABLE_CAP, this.#scratchAt, verb);
  }

  #region(slot: number, flags: number, gpa: number, bytes: number, host: number, verb: string): number {
    const s = this.#scratch;
    s.setUint32(0, slot, true);
    s.setUint32(4, flags, true);
    s.setBigUint64(8, BigInt(gpa), true);
    s.setBigUint64(16, BigInt(bytes), true);
    s.setBigUint64(24, BigInt(host), true);
    return this.#libc.ioctl(this.#h.vmFd, KVM.SET_USER_MEMORY_REGION, this.#scratchAt, verb);
  }

  #scratchBytes(): Uint8Array {
    return new Uint8Array(this.#scratch.buffer, this.#scratch.byteOffset, 4096);
  }
}

function popcount(bitmap: Uint8Array): number {
  let n = 0;
  for (const b of bitmap) {
    let x = b;
    while (x) {
      x &= x - 1;
      n++;
    }
  }
  return n;
}
