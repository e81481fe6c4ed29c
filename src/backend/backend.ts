/**
 * The seam between the KVM-verb API (src/kvm: Vm, Vcpu, Memslot) and what carries the verbs
 * out: the model (src/kvm/model-backend.ts: the shared arena and the wasm or js engine) or
 * the real /dev/kvm (src/backend/kvm/). Both sides see this file and nothing of each other.
 *
 * The classes check arguments and keep the VM's configuration; a backend does the verb. Every
 * refusal KVM reports with an errno is a KvmError with that errno as `code`. The classes also
 * work out what KVM would answer (the model's rules) and pass it as `expected`: the model
 * backend gives exactly that answer, the kvm backend asks the kernel and keeps the model's
 * message when the kernel's errno agrees, so both backends say the same thing.
 */
import type { KvmError } from './errors.ts';

export type BackendKind = 'model' | 'kvm';
export const BACKEND_KINDS: readonly BackendKind[] = ['model', 'kvm'];

/** The architecture whose KVM rules apply (KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP is arm64's). */
export type Arch = 'x86' | 'arm64';
export const ARCHES: readonly Arch[] = ['x86', 'arm64'];

/** One harvested kvm_dirty_gfn. `offset` is a u64 as read from the ring: untrusted. */
export interface DirtyGfn {
  /** The raw slot field: asId << 16 | slotId. */
  readonly slot: number;
  readonly asId: number;
  readonly slotId: number;
  readonly offset: bigint;
}

export interface DirtyLog {
  /** KVM's bitmap: bit i (little-endian 64-bit words) = page i; a copy owned by the caller. */
  readonly bitmap: Uint8Array;
  readonly dirtyPages: number;
}

export interface SlotSpec {
  readonly slot: number;
  readonly pages: number;
  readonly logDirtyPages: boolean;
  readonly contents: boolean;
}

/** What the model says KVM answers: undefined when it accepts. */
export type Expected = KvmError | undefined;

/** KVM's verbs over one VM. Numbers in, numbers (or copies) out; ids are KVM's. */
export interface VmBackend {
  readonly kind: BackendKind;
  /** KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING), the size in bytes as KVM takes it. */
  enableDirtyRing(bytes: number, pml: boolean, expected: Expected): void;
  /** KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP). */
  enableDirtyRingWithBitmap(expected: Expected): void;
  /** KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2). */
  enableManualDirtyLogProtect(initiallySet: boolean, expected: Expected): void;
  /** KVM_SET_USER_MEMORY_REGION: define a memslot, or change the flags of one (same size). */
  setUserMemoryRegion(region: SlotSpec, expected: Expected): void;
  /** KVM_CREATE_VCPU with id `id`. */
  createVcpu(id: number, expected: Expected): void;
  /**
   * vCPU `vcpu` stores `stamp` to page `page` of memslot `slot` (KVM_RUN of a guest that
   * stores once). Returns an ABI.FAULT_* code.
   */
  write(vcpu: number, slot: number, page: number, stamp: number): number;
  /** The vCPU's ring as userspace's mmap sees it. */
  ringBytes(vcpu: number): Uint8Array;
  /** Userspace collection: DIRTY entries in order from the fetch index, each handed back as RESET. */
  harvest(vcpu: number, max: number): DirtyGfn[];
  /** KVM_RESET_DIRTY_RINGS over every vCPU's ring; at most `limit` entries. */
  resetDirtyRings(limit: number, expected: Expected): number;
  /** KVM_GET_DIRTY_LOG (classic, or a copy with manual protect). */
  getDirtyLog(slot: number, expected: Expected): DirtyLog;
  /** KVM_CLEAR_DIRTY_LOG; returns the pages re-armed (see Memslot.clearDirtyLog). */
  clearDirtyLog(slot: number, firstPage: number, numPages: number, bitmap: Uint8Array, expected: Expected): number;
  /** The slot's memory as the guest sees it (4 KiB a page), or undefined when it keeps none. */
  contents(slot: number): Uint8Array | undefined;
  /** Release the VM's descriptors and mappings (kvm); nothing on the model. Idempotent. */
  close(): void;
}

/**
 * Call the kernel and report its errno with the model's message when they agree; when they
 * do not, the kernel's errno stands and the message says what the model expected (the
 * conformance suite then fails on the code).
 */
export function kernelAnswer<T>(expected: Expected, call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (!expected || !(err instanceof Error) || !('code' in err)) throw err;
    if (err.code === expected.code) throw expected;
    err.message += ` (the model expected -${expected.code}: ${expected.message})`;
    throw err;
  }
}
