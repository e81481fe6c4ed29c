/**
 * Guest workloads: how a vCPU picks the pages it writes. The generators run inside the
 * engine (assembly/workload.ts); this module validates a workload and writes its state into
 * the vCPU's control block.
 */
import type { GuestWorkload } from '../backend/kvm/guest-run.ts';
import { ABI } from '../layout.ts';
import { VCPU_WORD, type VcpuCtl } from '../layout-fields.generated.ts';
import { requireInteger } from '../validate.ts';

export const PATTERNS = ['sequential', 'random', 'zipf', 'strided', 'memstress'] as const;
export type Pattern = (typeof PATTERNS)[number];

const PATTERN_CODE: Record<Pattern, number> = {
  sequential: ABI.PATTERN_SEQUENTIAL,
  random: ABI.PATTERN_RANDOM,
  zipf: ABI.PATTERN_ZIPF,
  strided: ABI.PATTERN_STRIDED,
  memstress: ABI.PATTERN_MEMSTRESS,
};

export interface WorkloadSpec {
  readonly pattern: Pattern;
  /** Repeatable runs: the same seed gives the same page sequence. */
  readonly seed: number;
  /** Strided: pages between writes. @default 17 */
  readonly stride?: number;
  /** Zipf: the exponent s (probability of rank r is proportional to 1 / r^s). @default 1.1 */
  readonly zipfExponent?: number;
  /** Zipf: size of the hot set, in ranks. @default min(pages, 4096) */
  readonly hotPages?: number;
}

/**
 * The Zipf CDF as u32s scaled to 2^32: entry r is P(rank <= r) * 2^32, the last one 2^32 - 1
 * so every draw lands. Computed once on the host, read by every vCPU.
 */
export function zipfCdf(ranks: number, exponent: number): Uint32Array {
  requireInteger('hotPages', ranks, 1, 2 ** 24);
  if (!(exponent > 0 && exponent < 10)) throw new RangeError(`zipfExponent must be in (0, 10), got ${exponent}: 1.1 is typical`);
  const weights = Float64Array.from({ length: ranks }, (_, r) => 1 / (r + 1) ** exponent);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf = new Uint32Array(ranks);
  let acc = 0;
  for (let r = 0; r < ranks; r++) {
    acc += weights[r]!;
    cdf[r] = Math.min(0xffffffff, Math.floor((acc / total) * 2 ** 32));
  }
  cdf[ranks - 1] = 0xffffffff;
  return cdf;
}

/**
 * Write a vCPU's workload state. `region` is the pages it writes: the whole slot for the
 * shared patterns, its own share for memstress (dirty_log_perf_test gives each vCPU its own).
 * Sequential and strided vCPUs start at staggered offsets so they do not walk in lockstep.
 */
export function configureWorkload(
  vcpu: VcpuCtl,
  slotDesc: number,
  region: { readonly start: number; readonly pages: number },
  spec: WorkloadSpec,
  zipf: { readonly table: number; readonly ranks: number },
  vcpuIndex: number,
  vcpuCount: number,
): void {
  vcpu.wPattern = PATTERN_CODE[spec.pattern];
  vcpu.wSlot = slotDesc;
  vcpu.wStart = region.start;
  vcpu.wPages = region.pages;
  const stagger = spec.pattern === 'memstress' ? 0 : Math.floor((region.pages * vcpuIndex) / Math.max(1, vcpuCount));
  vcpu.wCursor = stagger % region.pages;
  vcpu.wStride = (spec.stride ?? 17) % region.pages || 1;
  vcpu.wZipf = zipf.table;
  vcpu.wZipfN = zipf.ranks;
  vcpu.wPasses = 0;
  vcpu.pendingPage = 0;
  // xorshift64* must not start at 0: mix the seed and the vCPU index (splitmix-style).
  const lo = (Math.imul(spec.seed ^ 0x9e3779b9, 0x85ebca6b) ^ vcpuIndex) >>> 0;
  const hi = (Math.imul(vcpuIndex + 1, 0xc2b2ae35) ^ spec.seed) >>> 0;
  // Both halves exactly: the state is a full 64-bit number, past a double's 53 bits.
  vcpu.u32[vcpu.w + VCPU_WORD.wRng] = lo | (lo === 0 && hi === 0 ? 1 : 0);
  vcpu.u32[vcpu.w + VCPU_WORD.wRng + 1] = hi;
}

/**
 * A vCPU's workload state as configureWorkload left it: what the kvm backend's guest starts
 * from, so both backends write the same pages in the same order.
 */
export function workloadState(vcpu: VcpuCtl): GuestWorkload {
  const rng = vcpu.w + VCPU_WORD.wRng;
  return {
    pattern: vcpu.wPattern, start: vcpu.wStart, pages: vcpu.wPages, cursor: vcpu.wCursor, stride: vcpu.wStride,
    zipfRanks: vcpu.wZipfN, passes: vcpu.wPasses, rng: (BigInt(vcpu.u32[rng + 1]!) << 32n) | BigInt(vcpu.u32[rng]!),
  };
}
