/**
 * A vCPU's guest state, as a migration carries a vCPU's registers: where its workload is (the
 * cursor of a walk, passes done, the xorshift64* state) and a write a full ring interrupted,
 * to be retried first. The workload's shape (pattern, region, stride, Zipf table) is the VM's
 * configuration and is not carried: a destination built with the same options has it.
 */
import { ABI } from '../layout.ts';
import { VCPU_WORD, type VcpuCtl } from '../layout-fields.generated.ts';
import { expectOnlyKeys, expectRecord, requireInteger } from '../validate.ts';

export interface VcpuState {
  readonly cursor: number;
  readonly passes: number;
  /** xorshift64* state, low and high 32 bits. */
  readonly rng: readonly [number, number];
  /** 1 + the page of a write to retry, 0 for none. */
  readonly pendingPage: number;
}

export function saveVcpuState(c: VcpuCtl): VcpuState {
  return { cursor: c.wCursor, passes: c.wPasses, rng: [c.u32[c.w + VCPU_WORD.wRng]!, c.u32[c.w + VCPU_WORD.wRng + 1]!], pendingPage: c.pendingPage };
}

/** Checks `value` against the vCPU it is for; returns the function that writes it (nothing is written before every vCPU checked). */
function check(name: string, value: unknown, c: VcpuCtl): () => void {
  const o = expectRecord(name, value);
  expectOnlyKeys(name, o, ['cursor', 'passes', 'rng', 'pendingPage']);
  const cursor = requireInteger(`${name}.cursor`, o.cursor, 0, Math.max(0, c.wPages - 1), `the vCPU's region has ${c.wPages} pages`);
  const passes = requireInteger(`${name}.passes`, o.passes, 0, 0xffff_ffff);
  if (!Array.isArray(o.rng) || o.rng.length !== 2) throw new TypeError(`${name}.rng must be a pair of u32 words [low, high]`);
  const lo = requireInteger(`${name}.rng[0]`, o.rng[0], 0, 0xffff_ffff);
  const hi = requireInteger(`${name}.rng[1]`, o.rng[1], 0, 0xffff_ffff);
  if (lo === 0 && hi === 0) throw new RangeError(`${name}.rng must not be zero, got [0, 0]: xorshift64* would stay at 0`);
  const npages = c.u32[(c.wSlot + ABI.SLOT_NPAGES) >>> 2]!;
  const pendingPage = requireInteger(`${name}.pendingPage`, o.pendingPage, 0, npages, `1 + a page of the slot, or 0`);
  return () => {
    c.wCursor = cursor;
    c.wPasses = passes;
    c.u32[c.w + VCPU_WORD.wRng] = lo;
    c.u32[c.w + VCPU_WORD.wRng + 1] = hi;
    c.pendingPage = pendingPage;
  };
}

export const loadVcpuState = { check };
