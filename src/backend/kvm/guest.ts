/**
 * The tiny guest that makes vcpu.write a real guest store. This host's KVM (PVM, see
 * shared/reference/real-kvm.md) runs only 64-bit CPL3 code natively; anything else goes
 * through KVM's emulator, which logs every store and can overrun a ring. So the guest starts
 * in long mode, set from the host (KVM_SET_SREGS), with its code, its page tables and its list
 * of addresses in a memslot of its own that is not logged, so its bookkeeping never reaches a
 * ring. It stores RDX to each address of the list and signals "done" with a store to DONE,
 * a guest-physical address with no memslot: a KVM_EXIT_MMIO. A CPL3 guest cannot HLT.
 *
 * Guest-physical layout (identity-mapped with 2 MiB pages, user bit set):
 *   [0, GUEST_BYTES)       the guest's slot: PML4, code, one address list per vCPU, page-table pool
 *   DONE                   no memslot: the "done" store
 *   [USER_BASE, ...)       the user's memslots, each 2 MiB aligned
 */
import { SREGS } from './abi.ts';

/** The guest's own memslot id: the last one KVM allows (KVM_USER_MEM_SLOTS - 1), refused to users of this backend. */
export const GUEST_SLOT = 32763;
export const GUEST_BYTES = 64 << 20;
export const PML4 = 0x1000;
export const CODE = 0x2000;
/** vCPU i's list of addresses (512 per page). */
export const listAt = (vcpu: number) => 0x10000 + vcpu * 0x1000;
/** Page-table pages (PDPTs and PDs) are taken from here on. */
export const TABLE_POOL = 0x200000;
export const DONE = 0x3fe00000;
export const USER_BASE = 0x40000000;
/** Without KVM_SET_CPUID2 the guest's MAXPHYADDR is 36 bits: user memslots end below 64 GiB. */
export const GPA_LIMIT = 2 ** 36;
const HUGE = 2 << 20;

/**
 *   loop: test rcx, rcx ; jz done ; mov rax, [rsi] ; mov [rax], rdx ; add rsi, 8 ; dec rcx ; jmp loop
 *   done: mov [rdi], al ; jmp done
 * A ring-full exit leaves RIP on `mov [rax], rdx`; KVM_RUN again retries exactly that store.
 */
export const CODE_BYTES = [
  0x48, 0x85, 0xc9, 0x74, 0x0f, 0x48, 0x8b, 0x06, 0x48, 0x89, 0x10, 0x48, 0x83, 0xc6, 0x08, 0x48, 0xff, 0xc9, 0xeb, 0xec,
  0x88, 0x07, 0xeb, 0xfc,
];

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
    CODE_BYTES.forEach((b, i) => this.#mem.setUint8(CODE + i, b));
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
    if (this.#nextTable + 0x1000 > GUEST_BYTES) throw new RangeError('the kvm backend ran out of guest page-table space: use fewer or smaller memslots');
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
