/**
 * The arena layout: the one table of offsets and strides shared by every thread.
 *
 * The Wasm side never hard-codes an offset. `scripts/gen-layout.ts` turns {@link ABI}
 * into `assembly/layout.generated.ts`, and a test fails if the two ever disagree.
 *
 * ```
 *  byte 0 ┌────────────────────────────────────────────┐
 *         │ 0..63   never used (address 0 stays "null")  │
 *      64 │ VM control block             VM_CTL_SIZE     │
 *     256 │ slot descriptors      maxSlots × SLOT_STRIDE │
 *   65536 │ AssemblyScript static data (--memoryBase)    │  the engine keeps none; reserved anyway
 *  131072 ├────────────────────────────────────────────┤ REGIONS_BASE, every region 64-byte aligned
 *         │ vCPU control blocks 0 … N-1   256 B each     │  4 cache lines each:
 *         │                                              │   [0]  config  (read-only once running)
 *         │                                              │   [64] producer line (the vCPU writes)
 *         │                                              │   [128] consumer line (harvest / reset write)
 *         │                                              │   [192] workload state, acknowledgements
 *         │ ring 0 … ring N-1        entries × 16 B each │  kvm_dirty_gfn arrays, no header
 *         │ harvest buffer 0 … N-1   entries × 16 B each │  userspace's copy of harvested entries
 *         │ ring indexes 0 … N-1     128 B each          │  (rings on) the shared-indices protocol's avail_index
 *         │                                              │  and fetch_index: one line, or a line apart
 *         │ PML log 0 … N-1          512 × 8 B each      │  (PML on) hardware's GPA log per vCPU
 *         │ ring list                maxVcpus × 4 B      │  control-block offsets a VM-wide ring verb walks
 *         │ stall histogram 0 … N-1  64 × 4 B each       │  full-exit stalls by duration (stallBucket)
 *         │ Zipf CDF                 ranks × 4 B         │  (Zipf workloads) shared, read-only
 *         │ per slot: armed │ dirty │ snapshot │ clear-arg │ collected │ round bitmaps
 *         │           (content mode: truth-ring │ truth-bitmap │ re-armed, the verifier's)
 *         │           1 bit per page, little-endian 64-bit words
 *         │ per slot (content mode): page contents, 4 KiB per page
 *         │ scratch                                      │  page lists for batch calls
 *         └────────────────────────────────────────────┘
 * ```
 *
 * One kvm_dirty_gfn (KVM uapi, 16 bytes):
 * ```
 *  0        4        8                16
 *  ├ flags ─┼ slot ──┼ offset (u64) ───┤   flags: bit0 DIRTY, bit1 RESET
 *                                          slot:  as_id << 16 | slot_id
 * ```
 * Entry lifecycle (bits RESET DIRTY): 00 ─push→ 01 ─harvest→ 1X ─reset→ 00.
 *
 * The shared-indices protocol (KVM's RFC v1–v3, 2019-11 to 2020-01) uses the same 16-byte
 * entries with the flags word left alone, and two shared u32 counters instead:
 * ```
 *  ring indexes, adjacent (RFC):   0 avail_index (kernel writes)   4 fetch_index (userspace writes)
 *  ring indexes, apart:            0 avail_index                  64 fetch_index (a cache line away)
 * ```
 * push writes slot and offset and publishes avail_index; harvest reads up to avail_index and
 * publishes fetch_index; the reset refuses a fetch_index more than the ring's size past
 * reset_index (EINVAL), then re-arms every entry up to it.
 */

/** A control-block field: byte offset inside its block, width, and what it holds. */
export interface FieldSpec {
  readonly at: number;
  readonly type: 'u32' | 'u64';
  readonly doc: string;
}
const u32 = (at: number, doc: string): FieldSpec => ({ at, type: 'u32', doc });
const u64 = (at: number, doc: string): FieldSpec => ({ at, type: 'u64', doc });

/**
 * The VM control block (offsets relative to VM_CTL). First line: configuration read by the
 * reset and fault paths, and counters; second line: the thread-control words every vCPU
 * reads between slices, kept apart so counter updates do not bounce them; third line: the
 * collector's timing counters.
 */
export const VM_FIELDS = {
  NR_SLOTS: u32(0, 'user slot limit (slot ids >= this are invalid)'),
  NR_AS: u32(4, 'address spaces (x86 without SMM: 1)'),
  SLOTS: u32(8, 'byte offset of the slot descriptor table'),
  RESET_ABORT: u32(12, 'nonzero = "signal pending": the reset walk bails out'),
  REJECTED_BATCHES: u32(16, 'counter: reset batches that failed validation'),
  REJECTED_PAGES: u32(20, 'counter: bits in those batches'),
  NO_VCPU_LOGS: u32(24, 'counter: vCPU-less writes in ring mode with no backup bitmap (KVM warns)'),
  COLLECTOR_REAPS: u32(28, 'collector counter: reaps of every ring (harvest, collect, reset)'),
  COLLECTOR_SYNCS: u32(32, 'collector counter: dirty-log syncs answered'),
  COLLECTOR_SKIPPED: u32(36, 'collector counter: harvested records it could not place (forged slot or offset)'),
  COLLECTOR_HARVESTED: u64(40, 'collector counter: ring entries harvested'),
  COLLECTOR_RESET: u64(48, 'collector counter: ring entries reset'),
  COLLECTOR_BUSY_US: u64(56, 'collector counter: microseconds spent collecting'),
  RUN_STATE: u32(64, 'RUN_* below, written by the host; vCPUs read it between slices'),
  RUN_EPOCH: u32(68, 'doorbell: bumped with every RUN_STATE change; vCPUs wait on it'),
  ITERATION: u32(72, "the stamp vCPUs write into pages (dirty_log_test's iteration)"),
  COLLECTOR_BELL: u32(76, 'doorbell: vCPUs ring it on a ring-full exit; the collector waits on it'),
  THROTTLE_PCT: u32(80, "auto-converge's CPU throttle, 0-99: each vCPU sleeps pct / (100 - pct) of every 10 ms it runs (QEMU cpu_throttle)"),
  COLLECTOR_HARVEST_US: u64(128, 'collector counter: microseconds in userspace harvests (and marking what they took)'),
  COLLECTOR_RESET_US: u64(136, 'collector counter: microseconds in KVM_RESET_DIRTY_RINGS'),
  COLLECTOR_LOOKS: u64(144, "collector counter: the poller's looks at the rings (poll mode): each reads a batch's last entry (flags) or avail_index (shared indices)"),
} as const;

/**
 * A vCPU control block (offsets relative to the block), four cache lines: config (read-only
 * once running), producer (the vCPU thread), consumer (the collector), and the vCPU thread's
 * workload state and acknowledgements.
 */
export const VCPU_FIELDS = {
  RING: u32(0, "config: byte offset of this vCPU's ring"),
  ENTRIES: u32(4, 'config: ring size in entries (power of two), 0 = no ring'),
  SOFT_LIMIT: u32(8, 'config: entries - reserved'),
  HARVEST_BUF: u32(12, "config: byte offset of this vCPU's harvest buffer"),
  PML_BUF: u32(16, "config: byte offset of this vCPU's PML log, 0 = PML off"),
  NO_VCPU: u32(20, 'config: 1 = a writer with no vCPU (a device, or KVM itself): its writes bypass write protection and are logged every time'),
  AVAIL_AT: u32(24, "config: byte offset of the shared avail_index (the RFC's shared-indices protocol), 0 = KVM's per-entry flags"),
  FETCH_AT: u32(28, 'config: byte offset of the shared fetch_index userspace publishes (shared-indices protocol), 0 = none'),
  DIRTY_INDEX: u32(64, "producer: free-running push counter (kernel's dirty_index)"),
  PML_INDEX: u32(68, 'producer: entries in the PML log'),
  PUSHES: u64(72, 'producer: pages logged into the ring'),
  HARD_FULL: u32(80, 'producer: pushes refused because the ring was completely full'),
  PENDING_PAGE: u32(84, 'producer: 1 + page of a write to retry after a ring-full refusal'),
  WRITES: u64(88, 'producer: guest writes performed'),
  FULL_EXITS: u32(96, 'producer: KVM_EXIT_DIRTY_RING_FULL exits taken'),
  PML_DRAINS: u32(100, 'producer: PML logs drained into the ring or bitmap'),
  STALL_US: u64(104, 'producer: microseconds spent waiting for a reset after full exits'),
  BITMAP_MARKS: u64(112, 'producer: pages this vCPU logged into a dirty bitmap (bitmap modes, PML drains included)'),
  THROTTLE_US: u64(120, "producer: microseconds the dirty limit held the vCPU after its full exits (QEMU's dirtylimit_vcpu_execute sleeps)"),
  RESET_INDEX: u32(128, "consumer: free-running reset counter (kernel's reset_index)"),
  FETCH_INDEX: u32(132, "consumer: userspace's private harvest counter"),
  RESET_BATCHES: u32(136, "consumer: coalesced batches re-armed (KVM's mmu_lock round trips)"),
  RESUME_BELL: u32(140, 'doorbell: the collector bumps it after a reset; a full vCPU waits on it'),
  KICK_REQ: u32(144, 'doorbell: the collector bumps it to kick the vCPU out of guest mode'),
  THROTTLE_US_PER_FULL: u32(148, "consumer: the dirty limit's hold after each full exit, in µs (QEMU's throttle_us_per_full), set by the collector"),
  RESET_FETCH: u32(152, 'consumer: the fetch_index a reset read once and validated before walking (shared-indices protocol)'),
  KICK_ACK: u32(192, 'the last kick request the vCPU has answered (after draining PML)'),
  EPOCH_ACK: u32(196, 'the last VM_RUN_EPOCH the vCPU has acted on'),
  W_PATTERN: u32(200, 'workload: PATTERN_*'),
  W_START: u32(204, "workload: first page of this vCPU's region"),
  W_PAGES: u32(208, 'workload: pages in the region'),
  W_CURSOR: u32(212, 'workload: next index for sequential, strided and memstress'),
  W_STRIDE: u32(216, 'workload: step for the strided pattern'),
  W_ZIPF: u32(220, 'workload: byte offset of the Zipf CDF (u32 per rank), 0 = none'),
  W_ZIPF_N: u32(224, 'workload: ranks in the Zipf CDF'),
  W_PASSES: u32(228, 'workload: completed passes over the region'),
  W_RNG: u64(232, 'workload: xorshift64* state'),
  W_SLOT: u32(240, 'workload: byte offset of the slot descriptor written to'),
  THREAD_STATE: u32(244, 'THREAD_* below, written by the vCPU thread'),
} as const;

/** A memslot descriptor (offsets relative to the descriptor). */
export const SLOT_FIELDS = {
  NPAGES: u32(0, '0 = no memslot'),
  FLAGS: u32(4, 'SLOT_F_*'),
  ID: u32(8, 'as_id << 16 | slot_id, as written into ring entries'),
  ARMED: u32(12, 'byte offset: 1 = write-protected, next write faults and logs'),
  DIRTY: u32(16, 'byte offset: the dirty bitmap (bitmap mode, or the ring\'s backup bitmap)'),
  SNAPSHOT: u32(20, "byte offset: GET's output (KVM's second bitmap half)"),
  CLEAR_ARG: u32(24, "byte offset: CLEAR's input (the user bitmap copied in)"),
  CONTENTS: u32(28, 'byte offset of page contents, 0 in tracking-only mode'),
  COLLECTED: u32(32, "byte offset: the VMM's own per-slot bitmap (QEMU's), filled by the collector"),
  TRUTH_RING: u32(36, "verifier's ground truth: bitmap the guest marks for each completed write by a writer with a ring, 0 = not recording"),
  TRUTH_BITMAP: u32(40, 'the same for writers without a ring (bitmap modes, devices), 0 = not recording'),
  REARMED: u32(44, "verifier: bitmap the engine marks with every page it re-arms (reset, classic GET, CLEAR), 0 = not recording"),
} as const;

type Offsets<P extends string, T> = { readonly [K in keyof T & string as `${P}${K}`]: number };

function offsets<P extends string, T extends Record<string, FieldSpec>>(prefix: P, fields: T): Offsets<P, T> {
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [`${prefix}${k}`, f.at])) as Offsets<P, T>;
}

/** Every constant the Wasm engine needs, by name. Generated into AssemblyScript verbatim. */
export const ABI = {
  // kvm_dirty_gfn
  GFN_SIZE: 16,
  GFN_FLAGS: 0,
  GFN_SLOT: 4,
  GFN_OFFSET: 8,
  GFN_F_DIRTY: 1,
  GFN_F_RESET: 2,
  GFN_F_MASK: 3,

  VM_CTL: 64,
  VM_CTL_SIZE: 192,
  ...offsets('VM_', VM_FIELDS),
  VCPU_STRIDE: 256,
  ...offsets('VCPU_', VCPU_FIELDS),
  SLOT_STRIDE: 64,
  ...offsets('SLOT_', SLOT_FIELDS),
  SLOT_F_LOG_DIRTY: 1, // KVM_MEM_LOG_DIRTY_PAGES
  SLOT_F_HAS_BITMAP: 2, // the slot owns a dirty bitmap (bitmap mode or ring backup bitmap)

  // fault outcomes (faultWrite's return value)
  FAULT_CLEAN: 0, // page was not armed: the write needs no logging
  FAULT_RING: 1, // logged into the vCPU's ring
  FAULT_RING_SOFT_FULL: 2, // logged, and the ring reached its soft limit: the vCPU must exit
  FAULT_BITMAP: 3, // logged into the slot's dirty bitmap
  FAULT_NOT_LOGGED: 4, // ring mode, no vCPU and no backup bitmap: KVM warns and drops it
  FAULT_RING_FULL: -1, // ring completely full: nothing logged, page left armed, retry after reset
  FAULT_OUT_OF_RANGE: -2, // page index at or past the slot's end: nothing done
  FAULT_PML: 5, // logged into the vCPU's PML log; it reaches the ring or bitmap at the next exit
  FAULT_UNOBSERVED: 7, // kvm backend, bitmap modes: the store completed; whether KVM logged it only GET can tell
  FAULT_RING_SOFT_FULL_RETRY: 6, // a guest store (write) whose fault took the ring to its soft limit: logged, the vCPU exits before the store completes; retry it after the reset

  // VM_RUN_STATE values
  RUN_RUNNING: 0,
  RUN_PAUSED: 1, // vCPUs leave guest mode, drain PML, acknowledge and wait
  RUN_STOPPED: 2, // vCPUs drain PML, finish a refused write, and exit their threads
  RUN_ABORTED: 3, // a thread failed: vCPUs exit at once, without waiting for the collector

  // VCPU_THREAD_STATE values
  THREAD_NONE: 0, // no thread runs this vCPU
  THREAD_RUNNING: 1,
  THREAD_EXITED: 2,

  // workload patterns
  PATTERN_SEQUENTIAL: 0,
  PATTERN_RANDOM: 1,
  PATTERN_ZIPF: 2,
  PATTERN_STRIDED: 3,
  PATTERN_MEMSTRESS: 4,

  // runSlice exit reasons, written to the return value's top bits
  SLICE_DONE: 0, // ran the whole slice
  SLICE_RING_FULL: 1, // KVM_EXIT_DIRTY_RING_FULL: wait for a reset before running again
  SLICE_SHIFT: 28, // slice writes < 2^28; reason << SLICE_SHIFT | writes
  PML_LOG_ENTRIES: 512,
  PML_ENTRY_SIZE: 8, // u32 slot field, u32 page

  // dirtyRingPush outcomes
  PUSH_OK: 0,
  PUSH_SOFT_FULL: 1, // KVM_REQ_DIRTY_RING_SOFT_FULL raised
  PUSH_HARD_FULL: -1, // would overwrite an unreset entry: refused

  // dirtyRingsReset: -1 - i when listed ring i's fetch_index is more than its size past its
  // reset_index (the shared-indices protocol's one check, EINVAL); nothing is reset then
  RESET_EINVAL_FETCH: -1,

  // KVM_CLEAR_DIRTY_LOG's -EINVAL cases, one code per rule so the host can name the rule
  CLEAR_EINVAL_FIRST_PAGE: -1, // first_page not a multiple of 64
  CLEAR_EINVAL_NUM_PAGES: -2, // num_pages not a multiple of 64 and the range does not reach the slot end
  CLEAR_EINVAL_RANGE: -3, // the range leaves the slot

  PAGE_SIZE: 4096,
  PAGE_SHIFT: 12,
  REGIONS_BASE: 131072,
  REGION_ALIGN: 64,
} as const;

export type AbiName = keyof typeof ABI;

/** Bytes of one vCPU's ring-index block: two cache lines, so either placement fits. */
export const RING_INDEXES_BYTES = 128;

/** Where avail_index and fetch_index sit in a vCPU's ring-index block, per placement. */
export const RING_INDEX_PLACEMENTS = {
  /** RFC v1–v3's struct kvm_dirty_ring_indexes: both in one cache line. */
  adjacent: { avail: 0, fetch: 4 },
  /** The middle way proposed in review (Paolo Bonzini, 2019-12): 64 bytes apart. */
  apart: { avail: 0, fetch: 64 },
} as const;

/** KVM_DIRTY_RING_RSVD_ENTRIES: room for KVM's own writes after the soft limit trips. */
export const DIRTY_RING_RSVD_ENTRIES = 64;
/** Intel PML_LOG_NR_ENTRIES: a whole PML buffer may be drained after the soft limit trips. */
export const PML_LOG_NR_ENTRIES = 512;
/** KVM_DIRTY_RING_MAX_ENTRIES. */
export const DIRTY_RING_MAX_ENTRIES = 65536;
/** KVM_MEM_MAX_NR_PAGES on x86: the largest memslot, in pages. Keeps page indices in i32. */
export const KVM_MEM_MAX_NR_PAGES = 2 ** 31 - 1;
/** KVM_USER_MEM_SLOTS is 32764 on x86; the slot field keeps 16 bits for the id. */
export const KVM_USER_MEM_SLOTS = 32764;
/** The control area: the VM block and the slot descriptors, below the engine's static data (--memoryBase). */
export const CONTROL_AREA_BYTES = 65536;

/** KVM_MAX_VCPUS on x86: the most vCPUs (and device writers) a VM may have. */
export const MAX_VCPUS = 4096;

/** The Wasm32 address space: 65536 pages of 64 KiB. */
export const WASM_MAX_BYTES = 65536 * 65536;
export const WASM_PAGE_BYTES = 65536;

/** What the layout needs to know; validated by the caller (the VM) before planning. */
export interface ArenaSpec {
  readonly maxVcpus: number;
  readonly ringEntries: number; // 0 when the dirty ring is off
  readonly slots: readonly { readonly pages: number; readonly contents: boolean }[];
  readonly scratchBytes: number;
  /** Per-vCPU PML logs (x86 PML: 512 GPAs each). */
  readonly pml?: boolean;
  /** Ranks in the shared Zipf CDF table, 0 for none. */
  readonly zipfRanks?: number;
  /** Bytes kept free for memslots defined after the layout froze (laid out by {@link planSlotRegions}). */
  readonly reserveBytes?: number;
}

export interface SlotRegions {
  readonly desc: number;
  readonly armed: number;
  readonly dirty: number;
  readonly snapshot: number;
  readonly clearArg: number;
  readonly collected: number;
  /** The VMM's union of this round's collections (QEMU's RAMBlock migration bitmap). */
  readonly iteration: number;
  readonly contents: number; // 0 when tracking-only
  /** The verifier's ground-truth bitmaps (content mode; 0 when tracking-only). */
  readonly truthRing: number;
  readonly truthBitmap: number;
  readonly rearmed: number;
  /** KVM's bitmap size: one bit per page rounded up to 64-bit words. */
  readonly bitmapBytes: number;
  /** The region size actually reserved (rounded to REGION_ALIGN so SIMD scans need no tail). */
  readonly bitmapStride: number;
}

export interface ArenaPlan {
  readonly bytes: number;
  readonly wasmPages: number;
  readonly vmCtl: number;
  readonly slotTable: number;
  readonly vcpuCtl: readonly number[];
  readonly rings: readonly number[];
  readonly harvestBufs: readonly number[];
  /** Per vCPU: its ring-index block (RING_INDEXES_BYTES), 0 when there are no rings. */
  readonly ringIndexes: readonly number[];
  readonly pmlBufs: readonly number[]; // 0 when PML is off
  /** Room for the control-block offsets of every vCPU: the list a VM-wide ring verb walks. */
  readonly ringList: number;
  /** Per vCPU: STALL_BUCKETS u32 counters of full-exit stalls by duration (see stallBucket). */
  readonly stallHists: readonly number[];
  readonly zipf: number; // 0 when there is no Zipf table
  readonly slots: readonly SlotRegions[];
  readonly scratch: number;
  readonly scratchBytes: number;
  /** The free region for later memslots, and its size. */
  readonly reserve: number;
  readonly reserveBytes: number;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Full-exit stalls are counted per vCPU in log-spaced buckets, four per doubling from 1 µs:
 * bucket b holds stalls in [2^(b/4), 2^((b+1)/4)) µs, the last one everything from about 50 ms.
 * Quantiles read from it are good to about 19 %, whatever the number of exits.
 */
export const STALL_BUCKETS = 64;

export function stallBucket(us: number): number {
  return us < 1 ? 0 : Math.min(STALL_BUCKETS - 1, Math.floor(4 * Math.log2(us)));
}

/** The quantile q of a stall histogram, in µs (the geometric middle of its bucket); 0 when empty. */
export function stallQuantile(counts: ArrayLike<number>, q: number): number {
  let total = 0;
  for (let b = 0; b < counts.length; b++) total += counts[b]!;
  if (total === 0) return 0;
  let seen = 0;
  for (let b = 0; b < counts.length; b++) {
    seen += counts[b]!;
    if (seen >= q * total) return 2 ** ((b + 0.5) / 4);
  }
  return 2 ** ((counts.length - 0.5) / 4);
}

/** Bytes of KVM's dirty bitmap for `pages` pages: whole 64-bit words. */
export function bitmapBytes(pages: number): number {
  return Math.ceil(pages / 64) * 8;
}

/** Lay out every region once; nothing grows afterwards. Throws RangeError if it cannot fit Wasm32. */
export function planArena(spec: ArenaSpec): ArenaPlan {
  const slotTable = ABI.VM_CTL + ABI.VM_CTL_SIZE;
  const controlEnd = slotTable + spec.slots.length * ABI.SLOT_STRIDE;
  if (controlEnd > CONTROL_AREA_BYTES) {
    throw new RangeError(
      `slots must fit the 64 KiB control area, at most ${Math.floor((CONTROL_AREA_BYTES - slotTable) / ABI.SLOT_STRIDE)}, got ${spec.slots.length}: use fewer, larger slots`,
    );
  }
  let at: number = ABI.REGIONS_BASE;
  const take = (bytes: number): number => {
    const start = at;
    at = align(at + bytes, ABI.REGION_ALIGN);
    return start;
  };
  // vCPU control blocks first, one after another: each is four cache lines of its own.
  const vcpuCtl = Array.from({ length: spec.maxVcpus }, () => take(ABI.VCPU_STRIDE));
  const ringBytes = spec.ringEntries * ABI.GFN_SIZE;
  const rings = vcpuCtl.map(() => (ringBytes ? take(ringBytes) : 0));
  const harvestBufs = vcpuCtl.map(() => (ringBytes ? take(ringBytes) : 0));
  const ringIndexes = vcpuCtl.map(() => (ringBytes ? take(RING_INDEXES_BYTES) : 0));
  const pmlBufs = vcpuCtl.map(() => (spec.pml ? take(ABI.PML_LOG_ENTRIES * ABI.PML_ENTRY_SIZE) : 0));
  const ringList = take(spec.maxVcpus * 4);
  const stallHists = vcpuCtl.map(() => take(STALL_BUCKETS * 4));
  const zipf = spec.zipfRanks ? take(spec.zipfRanks * 4) : 0;
  const slots = spec.slots.map((s, i) => planSlotRegions(slotTable + i * ABI.SLOT_STRIDE, s.pages, s.contents, take));
  // Contents last, so tracking-only regions stay dense and close together.
  const withContents = slots.map((r, i) => {
    const s = spec.slots[i];
    return s?.contents ? { ...r, contents: take(s.pages * ABI.PAGE_SIZE) } : r;
  });
  const reserve = take(spec.reserveBytes ?? 0);
  const scratch = take(spec.scratchBytes);
  const bytes = align(at, WASM_PAGE_BYTES);
  if (bytes > WASM_MAX_BYTES) {
    const over = ((bytes - WASM_MAX_BYTES) / 2 ** 20).toFixed(2);
    throw new RangeError(
      `the arena needs ${bytes} bytes, ${over} MiB more than the 4 GiB a Wasm32 memory holds: use fewer or smaller slots, turn off page contents, or fewer vCPUs`,
    );
  }
  return {
    bytes,
    wasmPages: bytes / WASM_PAGE_BYTES,
    vmCtl: ABI.VM_CTL,
    slotTable,
    vcpuCtl,
    rings,
    harvestBufs,
    ringIndexes,
    pmlBufs,
    ringList,
    stallHists,
    zipf,
    slots: withContents,
    scratch,
    scratchBytes: spec.scratchBytes,
    reserve,
    reserveBytes: spec.reserveBytes ?? 0,
  };
}

/**
 * The bitmaps of one memslot, taken in order from `take` (contents are placed by the caller):
 * planArena's layout of a slot, also used for a slot defined later inside the reserve.
 */
export function planSlotRegions(desc: number, pages: number, contents: boolean, take: (bytes: number) => number): SlotRegions {
  const bytes = bitmapBytes(pages);
  const stride = align(bytes, ABI.REGION_ALIGN);
  return {
    desc,
    armed: take(stride),
    dirty: take(stride),
    snapshot: take(stride),
    clearArg: take(stride),
    collected: take(stride),
    iteration: take(stride),
    contents: 0,
    truthRing: contents ? take(stride) : 0,
    truthBitmap: contents ? take(stride) : 0,
    rearmed: contents ? take(stride) : 0,
    bitmapBytes: bytes,
    bitmapStride: stride,
  };
}

/** Bytes {@link planSlotRegions} takes for a tracking-only slot of `pages` pages. */
export function slotRegionBytes(pages: number): number {
  let bytes = 0;
  planSlotRegions(0, pages, false, (n) => {
    bytes += align(n, ABI.REGION_ALIGN);
    return 0;
  });
  return bytes;
}
