/**
 * A small reference model of KVM's dirty tracking, written from
 * shared/reference/dirty-tracking.md sections 2 to 9 with plain arrays and BigInt. It shares
 * no code with either engine, so agreement means both engines match the description. Rings
 * speak KVM's per-entry flags, or the RFC's shared indices (section 16: the kernel publishes
 * avail_index after each push, userspace publishes fetch_index, and the reset refuses a
 * fetch_index more than the ring's size past reset_index with EINVAL before walking to it).
 */
export type RefFault = 'clean' | 'ring' | 'ring-soft-full' | 'bitmap' | 'not-logged' | 'ring-full';
/** A guest store adds one outcome: its fault tipped the ring, so the vCPU exited before storing. */
export type RefStore = RefFault | 'pml' | 'ring-soft-full-retry';

interface RefEntry {
  flags: number;
  slot: number;
  offset: bigint;
}

interface RefRing {
  entries: number;
  softLimit: number;
  gfns: RefEntry[];
  dirtyIndex: number;
  resetIndex: number;
  /** Userspace's harvest counter; with shared indices, the shared fetch_index the reset reads. */
  fetchIndex: number;
  /** Shared indices: what the kernel last published; flags: unused. */
  availIndex: number;
  batches: number;
  pushes: number;
  hardFull: number;
}

interface RefSlot {
  pages: number;
  logging: boolean;
  hasBitmap: boolean;
  armed: boolean[];
  dirty: boolean[];
  collected: boolean[];
}

export interface RefWorkload {
  pattern: 'sequential' | 'random' | 'zipf' | 'strided' | 'memstress';
  slot: number;
  start: number;
  pages: number;
  cursor: number;
  stride: number;
  cdf: number[];
  passes: number;
  rng: bigint;
  pending: number; // 1 + page, 0 = none
  writes: number;
}

export interface RefConfig {
  slots: number[]; // pages per slot id
  vcpus: number;
  pml?: boolean;
  ring?: { entries: number; pml: boolean };
  /** How the rings are shared; the two placements of the indices behave alike. @default 'flags' */
  ringProtocol?: 'flags' | 'indices' | 'indices-apart';
  ringWithBitmap?: boolean;
  manualProtect?: boolean;
  initiallySet?: boolean;
}

const U32 = 2 ** 32;

export class RefVm {
  readonly slots: RefSlot[];
  readonly rings: RefRing[];
  readonly pmlLogs: { slot: number; page: number }[][];
  readonly pmlDrains: number[];
  /** Pages each vCPU logged into a dirty bitmap. */
  readonly bitmapMarks: number[];
  readonly lastHarvest: { slot: number; offset: bigint }[][];
  readonly workloads: (RefWorkload | undefined)[];
  rejectedBatches = 0;
  rejectedPages = 0;
  noVcpuLogs = 0;
  readonly config: RefConfig;

  constructor(config: RefConfig) {
    this.config = config;
    const hasBitmap = !config.ring || !!config.ringWithBitmap;
    this.slots = config.slots.map((pages) => {
      const initiallySet = hasBitmap && !!config.manualProtect && !!config.initiallySet;
      return {
        pages,
        logging: true,
        hasBitmap,
        armed: new Array<boolean>(pages).fill(!initiallySet),
        dirty: new Array<boolean>(pages).fill(initiallySet),
        collected: new Array<boolean>(pages).fill(false),
      };
    });
    const entries = config.ring?.entries ?? 0;
    const softLimit = entries - (config.ring ? 64 + (config.ring.pml ? 512 : 0) : 0);
    this.rings = Array.from({ length: config.vcpus }, () => ({
      entries,
      softLimit,
      gfns: Array.from({ length: entries }, () => ({ flags: 0, slot: 0, offset: 0n })),
      dirtyIndex: 0,
      resetIndex: 0,
      fetchIndex: 0,
      availIndex: 0,
      batches: 0,
      pushes: 0,
      hardFull: 0,
    }));
    this.pmlLogs = Array.from({ length: config.vcpus }, () => []);
    this.pmlDrains = new Array<number>(config.vcpus).fill(0);
    this.bitmapMarks = new Array<number>(config.vcpus).fill(0);
    this.lastHarvest = Array.from({ length: config.vcpus }, () => []);
    this.workloads = new Array<RefWorkload | undefined>(config.vcpus);
  }

  get pml(): boolean {
    return !!(this.config.pml || this.config.ring?.pml);
  }

  /** The rings share avail_index and fetch_index instead of per-entry flags. */
  get indexed(): boolean {
    return (this.config.ringProtocol ?? 'flags') !== 'flags';
  }

  /** mark_page_dirty_in_slot: nothing without logging; the vCPU's ring, else the slot's bitmap, else KVM warns. */
  #markPageDirty(v: number, slotId: number, page: number): RefFault {
    const s = this.slots[slotId]!;
    if (!s.logging) return 'clean';
    if (v >= 0 && this.config.ring) {
      const p = this.push(v, slotId, page);
      if (p === 'hard-full') return 'ring-full';
      return p === 'soft-full' ? 'ring-soft-full' : 'ring';
    }
    if (s.hasBitmap) {
      s.dirty[page] = true;
      if (v >= 0) this.bitmapMarks[v]!++;
      return 'bitmap';
    }
    this.noVcpuLogs++;
    return 'not-logged';
  }

  /** A VM exit: the PML log drains in order; on a full ring the rest stays for later. */
  drainPml(v: number): RefFault {
    const log = this.pmlLogs[v]!;
    if (!this.pml || log.length === 0) return 'clean';
    let outcome: RefFault = 'clean';
    while (log.length) {
      const e = log[0]!;
      const r = this.#markPageDirty(v, e.slot, e.page);
      if (r === 'ring-full') return 'ring-full';
      log.shift();
      if (r === 'ring-soft-full') outcome = r;
    }
    this.pmlDrains[v]!++;
    return outcome;
  }

  used(v: number): number {
    const r = this.rings[v]!;
    return (r.dirtyIndex - r.resetIndex + U32) % U32;
  }

  push(v: number, slot: number, offset: number): 'ok' | 'soft-full' | 'hard-full' {
    const r = this.rings[v]!;
    const used = this.used(v);
    if (used >= r.entries) {
      r.hardFull++;
      return 'hard-full';
    }
    const at = r.dirtyIndex % r.entries;
    // Shared indices: the flags word is padding the kernel never writes.
    r.gfns[at] = { flags: this.indexed ? r.gfns[at]!.flags : 1, slot, offset: BigInt(offset) };
    r.dirtyIndex = (r.dirtyIndex + 1) % U32;
    if (this.indexed) r.availIndex = r.dirtyIndex;
    r.pushes++;
    return used + 1 >= r.softLimit ? 'soft-full' : 'ok';
  }

  /**
   * A guest write; v = -1 is a write with no vCPU (kvm_write_guest), which bypasses write
   * protection and is marked dirty every time. With PML a vCPU write goes to its log first.
   */
  write(v: number, slotId: number, page: number): RefFault | 'pml' {
    const s = this.slots[slotId]!;
    if (v < 0) return this.#markPageDirty(v, slotId, page);
    if (!s.armed[page]) return 'clean';
    s.armed[page] = false;
    if (v >= 0 && this.pml) {
      this.pmlLogs[v]!.push({ slot: slotId, page });
      return this.pmlLogs[v]!.length === 512 ? this.drainPml(v) : 'pml';
    }
    const r = this.#markPageDirty(v, slotId, page);
    if (r === 'ring-full') s.armed[page] = true;
    return r;
  }

  /**
   * A guest store (the engine's guestWrite): the fault as above, except that a vCPU with a
   * ring and no PML whose fault takes the ring to its soft limit exits before the store
   * completes (KVM_EXIT_DIRTY_RING_FULL with RIP on the store): the caller retries it.
   */
  store(v: number, slotId: number, page: number): RefStore {
    const r = this.write(v, slotId, page);
    return r === 'ring-soft-full' && v >= 0 && this.config.ring && !this.pml ? 'ring-soft-full-retry' : r;
  }

  /**
   * vcpu.write: KVM_RUN of a guest that stores once. A vCPU whose ring is at its soft limit
   * cannot enter the guest: KVM exits again at once, and nothing is stored or logged.
   */
  run(v: number, slotId: number, page: number): RefStore {
    if (this.config.ring && this.used(v) >= this.rings[v]!.softLimit) return 'ring-full';
    return this.store(v, slotId, page);
  }

  /** xorshift64*, then the top 32 bits. */
  #next32(w: RefWorkload): number {
    let x = w.rng;
    x ^= x >> 12n;
    x = BigInt.asUintN(64, x ^ (x << 25n));
    x ^= x >> 27n;
    w.rng = x;
    return Number(BigInt.asUintN(64, x * 0x2545f4914f6cdd1dn) >> 32n);
  }

  nextPage(v: number): number {
    const w = this.workloads[v]!;
    if (w.pattern === 'random') return w.start + Number((BigInt(this.#next32(w)) * BigInt(w.pages)) >> 32n);
    if (w.pattern === 'zipf') {
      const u = this.#next32(w);
      const rank = w.cdf.findIndex((c) => c > u);
      return w.start + Number((BigInt(rank === -1 ? w.cdf.length - 1 : rank) * 0x9e3779b1n) % BigInt(w.pages));
    }
    const i = w.cursor;
    let next = i + (w.pattern === 'strided' ? w.stride : 1);
    if (next >= w.pages) {
      next %= w.pages;
      w.passes++;
    }
    w.cursor = next;
    return w.start + i;
  }

  /** A workload slice: writes until max, or until the vCPU must exit for a full ring; a write that did not complete is pending. */
  runSlice(v: number, max: number): { reason: 'done' | 'ring-full'; written: number } {
    const w = this.workloads[v]!;
    let written = 0;
    while (written < max) {
      const page = w.pending ? w.pending - 1 : this.nextPage(v);
      const r = this.store(v, w.slot, page);
      if (r === 'ring-full' || r === 'ring-soft-full-retry') {
        w.pending = page + 1;
        w.writes += written;
        return { reason: 'ring-full', written };
      }
      w.pending = 0;
      written++;
      if (r === 'ring-soft-full') {
        w.writes += written;
        return { reason: 'ring-full', written };
      }
    }
    w.writes += written;
    return { reason: 'done', written };
  }

  /** QEMU's kvm_dirty_ring_mark_page over the first n harvested records. Returns skipped. */
  collectHarvested(v: number, n: number): number {
    let skipped = 0;
    for (const rec of this.lastHarvest[v]!.slice(0, n)) {
      const s = rec.slot >>> 16 === 0 ? this.slots[rec.slot & 0xffff] : undefined;
      if (!s || rec.offset >= BigInt(s.pages)) {
        skipped++;
        continue;
      }
      s.collected[Number(rec.offset)] = true;
    }
    return skipped;
  }

  harvest(v: number, max: number): { slot: number; offset: bigint }[] {
    const r = this.rings[v]!;
    const out: { slot: number; offset: bigint }[] = [];
    if (this.indexed) {
      // Up to avail_index (at most one ring, whatever userspace did to its own fetch_index), then publish.
      const n = Math.min((r.availIndex - r.fetchIndex + U32) % U32, max, r.entries);
      for (let i = 0; i < n; i++) {
        const e = r.gfns[(r.fetchIndex + i) % r.entries]!;
        out.push({ slot: e.slot, offset: e.offset });
      }
      r.fetchIndex = (r.fetchIndex + n) % U32;
      this.lastHarvest[v] = out;
      return out;
    }
    while (out.length < Math.min(max, r.entries)) {
      const e = r.gfns[r.fetchIndex % r.entries]!;
      if (e.flags !== 1) break;
      out.push({ slot: e.slot, offset: e.offset });
      e.flags = 2;
      r.fetchIndex = (r.fetchIndex + 1) % U32;
    }
    this.lastHarvest[v] = out;
    return out;
  }

  /**
   * Pages an unchecked reset re-armed outside every slot, as positions in the slots' armed
   * bitmaps laid end to end (slot 0's pages, then slot 1's, ...): memory past the last bitmap,
   * which in KVM is kernel memory.
   */
  readonly strayRearms: bigint[] = [];

  /** kvm_reset_dirty_gfn: validate the batch, then re-arm its pages. */
  #reprotect(slot: number, base: bigint, mask: bigint, checks = true): boolean {
    const asId = slot >>> 16;
    const id = slot & 0xffff;
    const s = asId === 0 ? this.slots[id] : undefined;
    const top = BigInt(mask.toString(2).length - 1);
    if (!checks) return this.#rearmUnchecked(id, base, mask);
    if (!s || s.pages === 0 || !s.logging || base >= BigInt(s.pages) || base + top >= BigInt(s.pages)) {
      this.rejectedBatches++;
      this.rejectedPages += [...mask.toString(2)].filter((c) => c === '1').length;
      return false;
    }
    for (let i = 0n; i < 64n; i++) if ((mask >> i) & 1n) s.armed[Number(base + i)] = true;
    return true;
  }

  /**
   * A re-arm with none of kvm_reset_dirty_gfn's checks: page `base + i` of slot `id` is found
   * where it would be if the slots' bitmaps lay end to end, so an offset past a slot's end
   * lands in the next slot's bitmap, and past the last one in strayRearms. (The address space
   * is ignored: unchecked, it would index past KVM's array of them.)
   */
  #rearmUnchecked(id: number, base: bigint, mask: bigint): true {
    const sizes = this.slots.map((x) => BigInt(x.pages));
    const start = sizes.slice(0, id).reduce((a, b) => a + b, 0n);
    for (let i = 0n; i < 64n; i++) {
      if (!((mask >> i) & 1n)) continue;
      let at = start + BigInt.asUintN(64, base + i);
      const target = sizes.findIndex((n) => {
        if (at < n) return true;
        at -= n;
        return false;
      });
      if (target < 0) this.strayRearms.push(start + BigInt.asUintN(64, base + i));
      else this.slots[target]!.armed[Number(at)] = true;
    }
    return true;
  }

  /**
   * KVM_RESET_DIRTY_RINGS, with the pseudo-code of section 6 transcribed literally. Shared
   * indices: every ring's fetch_index is checked first (more than the ring's size past
   * reset_index is EINVAL, and nothing is reset), then each ring is walked to it.
   *
   * For showing what the checks are for, `unchecked` drops the flags protocol's per-entry
   * defences: the bound on the walk (the limit: KVM's INT_MAX and its signal check) and every
   * batch's validation (#rearmUnchecked); and `between` lets a hostile thread act before each
   * entry is read (ring, the reset_index about to be read).
   */
  reset(limit = 0x7fffffff, opts: { unchecked?: boolean; between?: (ring: number, resetIndex: number) => void } = {}): number | 'einval' {
    if (opts.unchecked) limit = Number.POSITIVE_INFINITY;
    const targets = this.rings.map((r) => r.fetchIndex);
    if (this.indexed && this.rings.some((r, i) => (targets[i]! - r.resetIndex + U32) % U32 > r.entries)) return 'einval';
    let total = 0;
    for (const [i, r] of this.rings.entries()) {
      let count = 0;
      let mask = 0n;
      let curSlot = 0;
      let base = 0n;
      while (count < limit - total) {
        opts.between?.(i, r.resetIndex);
        const e = r.gfns[r.resetIndex % r.entries]!;
        if (this.indexed ? r.resetIndex === targets[i] : !(e.flags & 2)) break;
        const s = e.slot;
        const o = e.offset;
        if (!this.indexed) e.flags = 0;
        r.resetIndex = (r.resetIndex + 1) % U32;
        count++;
        if (mask !== 0n) {
          if (s === curSlot) {
            const d = BigInt.asIntN(64, o - base);
            if (d >= 0n && d < 64n) {
              mask |= 1n << d;
              continue;
            }
            if (d > -64n && d < 0n && BigInt.asUintN(64, mask << -d) >> -d === mask) {
              mask = BigInt.asUintN(64, mask << -d) | 1n;
              base = o;
              continue;
            }
          }
          if (this.#reprotect(curSlot, base, mask, !opts.unchecked)) r.batches++;
        }
        curSlot = s;
        base = o;
        mask = 1n;
      }
      if (mask !== 0n && this.#reprotect(curSlot, base, mask, !opts.unchecked)) r.batches++;
      total += count;
    }
    return total;
  }

  /** KVM_GET_DIRTY_LOG: classic clears and re-arms, manual copies. Returns dirty pages. */
  getDirtyLog(slotId: number): number[] | 'enoent' {
    const s = this.slots[slotId]!;
    if (!s.logging) return 'enoent';
    const pages = s.dirty.flatMap((d, i) => (d ? [i] : []));
    if (!this.config.manualProtect) {
      for (const p of pages) {
        s.dirty[p] = false;
        s.armed[p] = true;
      }
    }
    return pages;
  }

  clearDirtyLog(slotId: number, first: number, num: number, bits: number[]): number | 'einval' | 'enoent' {
    const s = this.slots[slotId]!;
    if (first % 64 !== 0) return 'einval'; // kvm_clear_dirty_log_protect checks alignment before the slot
    if (!s.logging) return 'enoent';
    if (first + num > s.pages || (num % 64 !== 0 && first + num !== s.pages)) return 'einval';
    let rearmed = 0;
    for (const b of bits) {
      const p = first + b;
      if (b < num && s.dirty[p]) {
        s.dirty[p] = false;
        s.armed[p] = true;
        rearmed++;
      }
    }
    return rearmed;
  }
}
