/**
 * The kvm backend's guest. This host's KVM (PVM, see shared/reference/real-kvm.md) runs only
 * 64-bit CPL3 code natively; anything else goes through KVM's emulator, which logs every store
 * and can overrun a ring. So the guest starts in long mode, set from the host (KVM_SET_SREGS),
 * with its code, its page tables and its bookkeeping in a memslot of its own that is not
 * logged, so nothing but its stores to user memslots reaches a ring. Its two routines
 * (guest.S, assembled into guest-code.generated.ts by `npm run gen:guest`):
 *   store_list   vcpu.write(): store RDX to each address of a list, then "done"
 *   run          a threaded run's vCPU: the model's workloads, write for write (GCB below)
 * "Done" and "stopped" are a store to DONE, a guest-physical address with no memslot: a
 * KVM_EXIT_MMIO. A CPL3 guest cannot HLT, and Node owns the process's signals, so a vCPU is
 * kicked by setting the stop word its guest polls after every write.
 *
 * Guest-physical layout (identity-mapped with 2 MiB pages, user bit set):
 *   [0, GUEST_BYTES)       the guest's slot: PML4, code, write lists, page tables, run area
 *   DONE                   no memslot: the "done" store
 *   [USER_BASE, ...)       the user's memslots, each 2 MiB aligned
 */
import { ABI, bitmapBytes } from '../../layout.ts';
import { SREGS } from './abi.ts';
import { GUEST_CODE } from './guest-code.generated.ts';

export { GUEST_ENTRY } from './guest-code.generated.ts';

/** The guest's own memslot id: the last one KVM allows (KVM_USER_MEM_SLOTS - 1), refused to users of this backend. */
export const GUEST_SLOT = 32763;
/** The guest slot's size; MAP_NORESERVE, so only the pages it touches cost memory. */
export const GUEST_BYTES = 128 << 20;
export const PML4 = 0x1000;
export const CODE = 0x2000;
/** vCPU i's list of addresses for vcpu.write() (one page: 512 addresses). */
export const listAt = (vcpu: number) => 0x10000 + vcpu * 0x1000;
/** KVM's most vCPUs here (KVM_CAP_MAX_VCPUS): room for a write list and a GCB each. */
export const GUEST_MAX_VCPUS = 1024;
/** Page-table pages (PDPTs and PDs) are taken from here up to RUN_AREA. */
export const TABLE_POOL = 0x800000;
/** Threaded runs: the vCPUs' control blocks, then their ground-truth bitmaps, then the Zipf CDF. */
export const RUN_AREA = 0x1000000;
export const DONE = 0x3fe00000;
export const USER_BASE = 0x40000000;
/** Without KVM_SET_CPUID2 the guest's MAXPHYADDR is 36 bits: user memslots end below 64 GiB. */
export const GPA_LIMIT = 2 ** 36;
const HUGE = 2 << 20;

/** A field of the guest control block: byte offset and width. */
interface GcbField {
  readonly at: number;
  readonly type: 'u32' | 'u64';
  readonly doc: string;
}
const u32 = (at: number, doc: string): GcbField => ({ at, type: 'u32', doc });
const u64 = (at: number, doc: string): GcbField => ({ at, type: 'u64', doc });

/**
 * A vCPU's guest control block (GCB): what `run` reads and writes, in the guest's slot. The
 * workload fields are the model's (layout.ts VCPU_FIELDS W_*), copied from the vCPU's control
 * block after configureWorkload, so both backends start from the same state. guest.S gets
 * these offsets as GCB_* symbols.
 */
export const GCB_FIELDS = {
  STOP: u32(0, 'nonzero: leave at the next write boundary; set by kicks and run-state changes, cleared by the vCPU thread'),
  STAMP: u32(4, "low half of every stamp: dirty_log_test's iteration"),
  LEFT: u64(8, 'writes left in this slice; the guest leaves at 0'),
  WRITES: u64(16, 'completed writes; their low 32 bits are the high half of each stamp'),
  TRUTH: u64(24, "GPA of this vCPU's ground-truth bitmap, 0 = not recording (the verifier's)"),
  SLOT_GPA: u64(32, 'GPA of page 0 of the memslot written'),
  RNG: u64(40, 'workload: xorshift64* state'),
  ZIPF: u64(48, 'workload: GPA of the Zipf CDF (u32 per rank)'),
  PATTERN: u32(56, 'workload: PATTERN_*'),
  START: u32(60, "workload: first page of this vCPU's region"),
  PAGES: u32(64, 'workload: pages in the region'),
  CURSOR: u32(68, 'workload: next index for sequential, strided and memstress'),
  STRIDE: u32(72, 'workload: step for the strided pattern'),
  ZIPF_N: u32(76, 'workload: ranks in the Zipf CDF'),
  PASSES: u32(80, 'workload: completed passes over the region'),
  BATCH: u32(84, 'writes between two looks at STOP (after each batch): 1, but for tests that need a kicked guest to write on'),
} as const;
export const GCB_STRIDE = 128;

/** Every symbol guest.S is assembled with: the GCB offsets, the patterns it branches on, DONE. */
export function guestSymbols(): Record<string, number> {
  return {
    ...Object.fromEntries(Object.entries(GCB_FIELDS).map(([k, f]) => [`GCB_${k}`, f.at])),
    PATTERN_RANDOM: ABI.PATTERN_RANDOM,
    PATTERN_ZIPF: ABI.PATTERN_ZIPF,
    PATTERN_STRIDED: ABI.PATTERN_STRIDED,
    DONE,
  };
}

/** Where a threaded run keeps its guest-side state, for `vcpus` vCPUs on a slot of `pages` pages. */
export interface RunArea {
  /** GPA (= the offset in the guest slot) of vCPU i's GCB. */
  gcb(vcpu: number): number;
  /** GPA of vCPU i's ground-truth bitmap (one bit per page). */
  truth(vcpu: number): number;
  readonly truthBytes: number;
  /** GPA of the Zipf CDF. */
  readonly zipf: number;
}

/**
 * Lay out the run area: ground-truth bitmaps for `truthPages` pages (0 without verify) and a
 * Zipf CDF of `zipfRanks` ranks. A RangeError naming the options when it does not fit.
 */
export function runArea(vcpus: number, truthPages: number, zipfRanks: number): RunArea {
  const truthBytes = Math.ceil(bitmapBytes(truthPages) / 64) * 64;
  const truthAt = RUN_AREA + GUEST_MAX_VCPUS * GCB_STRIDE;
  const zipf = Math.ceil((truthAt + vcpus * truthBytes) / 4096) * 4096;
  const end = zipf + zipfRanks * 4;
  if (vcpus > GUEST_MAX_VCPUS || end > GUEST_BYTES) {
    throw new RangeError(`vcpus x memory and hotPages must fit the kvm guest's ${GUEST_BYTES >> 20} MiB slot (${vcpus} ground-truth bitmaps of ${truthBytes} bytes and a Zipf table of ${zipfRanks} ranks need ${Math.ceil(end / 2 ** 20)} MiB): use fewer vCPUs, less memory with verify, or fewer hotPages`);
  }
  return { gcb: (v) => RUN_AREA + v * GCB_STRIDE, truth: (v) => truthAt + v * truthBytes, truthBytes, zipf };
}

const PRESENT_RW_USER = 0x7n;
const HUGE_PAGE = 0x80n;

/** The guest's page tables, written into its slot as memslots appear. */
export class GuestTables {
  #mem: DataView;
  #nextTable: number;

  constructor(mem: DataView, nextTable = TABLE_POOL) {
    this.#mem = mem;
    this.#nextTable = nextTable;
  }

  /** Write the code and map the first GiB (the guest's slot and DONE). */
  init(): void {
    GUEST_CODE.forEach((b, i) => this.#mem.setUint8(CODE + i, b));
    this.map(0, USER_BASE);
  }

  /** Identity-map [gpa, gpa + bytes) with 2 MiB pages. */
  map(gpa: number, bytes: number): void {
    for (let at = gpa - (gpa % HUGE); at < gpa + bytes; at += HUGE) {
      const pdpt = this.#table(PML4, Math.floor(at / 2 ** 39) % 512);
      const pd = this.#table(pdpt, Math.floor(at / 2 ** 30) % 512);
      this.#mem.setBigUint64(pd + 8 * (Math.floor(at / HUGE) % 512), BigInt(at) | HUGE_PAGE | PRESENT_RW_USER, true);
    }
  }

  /** Where the next page-table page would go: the guest slot must hold it. */
  get tablesEnd(): number {
    return this.#nextTable;
  }

  #table(parent: number, index: number): number {
    const entry = this.#mem.getBigUint64(parent + 8 * index, true);
    if (entry & 1n) return Number(entry & ~0xfffn);
    if (this.#nextTable + 0x1000 > RUN_AREA) throw new RangeError('the kvm backend ran out of guest page-table space: use fewer or smaller memslots');
    const table = this.#nextTable;
    this.#nextTable += 0x1000;
    this.#mem.setBigUint64(parent + 8 * index, BigInt(table) | PRESENT_RW_USER, true);
    return table;
  }
}

/** Long mode at CPL3: CR0 = PG|AM|WP|NE|ET|MP|PE, CR4 = PAE, EFER = LME|LMA, code 0x2b (L, DPL 3), data 0x33 (DPL 3). */
export function longModeSregs(sregs: Uint8Array): void {
  const dv = new DataView(sregs.buffer, sregs.byteOffset, sregs.byteLength);
  const segment = (i: number, selector: number, type: number, long: number, db: number) => {
    const o = i * SREGS.SEGMENT;
    dv.setBigUint64(o, 0n, true); // base
    dv.setUint32(o + 8, 0xffffffff, true); // limit
    dv.setUint16(o + 12, selector, true);
    sregs.set([type, 1, 3, db, 1, long, 1, 0, 0, 0], o + 14); // type present dpl db s l g avl unusable padding
  };
  segment(SREGS.CS, 0x2b, 11, 1, 0);
  for (const s of [SREGS.DS, SREGS.ES, SREGS.FS, SREGS.GS, SREGS.SS]) segment(s, 0x33, 3, 0, 1);
  dv.setBigUint64(SREGS.CR0, 0x80050033n, true);
  dv.setBigUint64(SREGS.CR3, BigInt(PML4), true);
  dv.setBigUint64(SREGS.CR4, 0x20n, true);
  dv.setBigUint64(SREGS.EFER, 0x500n, true);
}
