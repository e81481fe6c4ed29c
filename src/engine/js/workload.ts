/** Workloads and collection in the js engine: assembly/workload.ts and assembly/collect.ts on typed arrays. */
import { ABI } from '../../layout.ts';
import type { FaultOps } from './fault.ts';
import { popcount32, type Views } from './views.ts';

const MASK64 = (1n << 64n) - 1n;

export function makeWorkloadOps({ u32 }: Views, faults: FaultOps) {
  const at = (base: number, off: number) => (base + off) >>> 2;

  /** xorshift64*, in BigInt as a JS author would write it. */
  function next32(vcpu: number): number {
    const w = at(vcpu, ABI.VCPU_W_RNG);
    let x = (BigInt(u32[w + 1]!) << 32n) | BigInt(u32[w]!);
    x ^= x >> 12n;
    x = (x ^ (x << 25n)) & MASK64;
    x ^= x >> 27n;
    u32[w] = Number(x & 0xffffffffn);
    u32[w + 1] = Number(x >> 32n);
    return Number(((x * 0x2545f4914f6cdd1dn) & MASK64) >> 32n);
  }

  const below = (r: number, n: number) => Math.floor((r * n) / 2 ** 32);

  function nextPage(vcpu: number): number {
    const pattern = u32[at(vcpu, ABI.VCPU_W_PATTERN)]!;
    const n = u32[at(vcpu, ABI.VCPU_W_PAGES)]!;
    const start = u32[at(vcpu, ABI.VCPU_W_START)]!;
    if (pattern === ABI.PATTERN_RANDOM) return start + below(next32(vcpu), n);
    if (pattern === ABI.PATTERN_ZIPF) {
      const cdf = u32[at(vcpu, ABI.VCPU_W_ZIPF)]! >>> 2;
      const u = next32(vcpu);
      let lo = 0;
      let hi = u32[at(vcpu, ABI.VCPU_W_ZIPF_N)]! - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (u32[cdf + mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      return start + Number((BigInt(lo) * 0x9e3779b1n) % BigInt(n));
    }
    const cw = at(vcpu, ABI.VCPU_W_CURSOR);
    const i = u32[cw]!;
    const step = pattern === ABI.PATTERN_STRIDED ? u32[at(vcpu, ABI.VCPU_W_STRIDE)]! : 1;
    let next = i + step;
    if (next >= n) {
      next %= n;
      u32[at(vcpu, ABI.VCPU_W_PASSES)]!++;
    }
    u32[cw] = next;
    return start + i;
  }

  function runSlice(vcpu: number, maxWrites: number, stamp: number): number {
    const desc = u32[at(vcpu, ABI.VCPU_W_SLOT)]!;
    const pw = at(vcpu, ABI.VCPU_PENDING_PAGE);
    const seq = u32[at(vcpu, ABI.VCPU_WRITES)]!;
    let written = 0;
    let reason: number = ABI.SLICE_DONE;
    while (written < maxWrites) {
      const pending = u32[pw]!;
      const page = pending !== 0 ? pending - 1 : nextPage(vcpu);
      const r = faults.guestWrite(vcpu, desc, page, stamp, (seq + written) >>> 0);
      if (r === ABI.FAULT_RING_FULL) {
        u32[pw] = page + 1;
        reason = ABI.SLICE_RING_FULL;
        break;
      }
      u32[pw] = 0;
      written++;
      if (r === ABI.FAULT_RING_SOFT_FULL) {
        reason = ABI.SLICE_RING_FULL;
        break;
      }
    }
    const ww = at(vcpu, ABI.VCPU_WRITES);
    const lo = u32[ww]! + written;
    u32[ww] = lo >>> 0;
    if (lo > 0xffffffff) u32[ww + 1]!++;
    return ((reason << ABI.SLICE_SHIFT) | written) >>> 0;
  }

  function collectHarvested(vcpu: number, n: number): number {
    const buf = u32[at(vcpu, ABI.VCPU_HARVEST_BUF)]! >>> 2;
    const nrAs = u32[at(ABI.VM_CTL, ABI.VM_NR_AS)]!;
    const nrSlots = u32[at(ABI.VM_CTL, ABI.VM_NR_SLOTS)]!;
    const slots = u32[at(ABI.VM_CTL, ABI.VM_SLOTS)]!;
    let skipped = 0;
    for (let i = 0; i < n; i++) {
      const rec = buf + 4 * i;
      const slot = u32[rec + ABI.GFN_SLOT / 4]!;
      const lo = u32[rec + ABI.GFN_OFFSET / 4]!;
      const hi = u32[rec + ABI.GFN_OFFSET / 4 + 1]!;
      const id = slot & 0xffff;
      const desc = slots + id * ABI.SLOT_STRIDE;
      if (slot >>> 16 >= nrAs || id >= nrSlots || hi !== 0 || lo >= u32[at(desc, ABI.SLOT_NPAGES)]!) {
        skipped++;
        continue;
      }
      u32[(u32[at(desc, ABI.SLOT_COLLECTED)]! >>> 2) + (lo >>> 5)]! |= 1 << (lo & 31);
    }
    return skipped;
  }

  function bitmapOr(dst: number, src: number, npages: number): number {
    const n32 = 2 * Math.ceil(npages / 64);
    const d = dst >>> 2;
    const s = src >>> 2;
    let count = 0;
    for (let i = 0; i < n32; i++) {
      const v = u32[s + i]!;
      if (v === 0) continue;
      u32[d + i]! |= v;
      count += popcount32(v);
    }
    return count;
  }

  return { nextPage, runSlice, collectHarvested, bitmapOr };
}
