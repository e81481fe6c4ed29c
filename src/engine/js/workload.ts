/** Workloads in the js engine: assembly/workload.ts on typed arrays. */
import { ABI } from '../../layout.ts';
import type { FaultOps } from './fault.ts';
import { VCPU_WORD, type Views } from './views.ts';

const MASK64 = (1n << 64n) - 1n;

export function makeWorkloadOps({ u32 }: Views, faults: FaultOps) {
  /** xorshift64*, in BigInt as a JS author would write it. */
  function next32(vcpu: number): number {
    const w = (vcpu >>> 2) + VCPU_WORD.wRng;
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
    const pattern = u32[(vcpu >>> 2) + VCPU_WORD.wPattern]!;
    const n = u32[(vcpu >>> 2) + VCPU_WORD.wPages]!;
    const start = u32[(vcpu >>> 2) + VCPU_WORD.wStart]!;
    if (pattern === ABI.PATTERN_RANDOM) return start + below(next32(vcpu), n);
    if (pattern === ABI.PATTERN_ZIPF) {
      const cdf = u32[(vcpu >>> 2) + VCPU_WORD.wZipf]! >>> 2;
      const u = next32(vcpu);
      let lo = 0;
      let hi = u32[(vcpu >>> 2) + VCPU_WORD.wZipfN]! - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (u32[cdf + mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      return start + Number((BigInt(lo) * 0x9e3779b1n) % BigInt(n));
    }
    const cw = (vcpu >>> 2) + VCPU_WORD.wCursor;
    const i = u32[cw]!;
    const step = pattern === ABI.PATTERN_STRIDED ? u32[(vcpu >>> 2) + VCPU_WORD.wStride]! : 1;
    let next = i + step;
    if (next >= n) {
      next %= n;
      u32[(vcpu >>> 2) + VCPU_WORD.wPasses]!++;
    }
    u32[cw] = next;
    return start + i;
  }

  function runSlice(vcpu: number, maxWrites: number, stamp: number): number {
    const desc = u32[(vcpu >>> 2) + VCPU_WORD.wSlot]!;
    const pw = (vcpu >>> 2) + VCPU_WORD.pendingPage;
    const seq = u32[(vcpu >>> 2) + VCPU_WORD.writes]!;
    let written = 0;
    let reason: number = ABI.SLICE_DONE;
    while (written < maxWrites) {
      const pending = u32[pw]!;
      const page = pending !== 0 ? pending - 1 : nextPage(vcpu);
      const r = faults.guestWrite(vcpu, desc, page, stamp, (seq + written) >>> 0);
      if (r === ABI.FAULT_RING_FULL || r === ABI.FAULT_RING_SOFT_FULL_RETRY) { // not completed: retried after the reset
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
    const ww = (vcpu >>> 2) + VCPU_WORD.writes;
    const lo = u32[ww]! + written;
    u32[ww] = lo >>> 0;
    if (lo > 0xffffffff) u32[ww + 1]!++;
    return ((reason << ABI.SLICE_SHIFT) | written) >>> 0;
  }

  return { nextPage, runSlice };
}
