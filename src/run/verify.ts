/**
 * The verifier's end-of-round rules, after dirty_log_test (dirty-tracking.md section 10). The
 * guest stamps every page it writes with the iteration number; after each iteration, with
 * the vCPUs stopped, the host checks every page:
 *   reported dirty -> its stamp is this iteration (clear-log, iteration 1: a page only in
 *                     the first collection may hold 0, the INITIALLY_SET all-ones bitmap);
 *   not reported   -> its stamp is older (a current stamp means a write was never reported).
 * The per-sync rule (a completed write is in the next sync) is checked by the collector
 * against the guest's own record (vmm/ground-truth.ts) and arrives here as `missed` pages.
 * The guest here logs a write only after it lands (assembly/fault.ts write), so the
 * selftest's tolerance for a ring entry whose write has not retired is never needed.
 */
export interface Violation {
  readonly page: number;
  readonly stamp: number;
  readonly iteration: number;
  readonly kind: 'reported-but-stale' | 'written-but-not-reported' | 'stamp-from-the-future' | 'written-but-not-collected' | 're-armed-but-not-collected';
}

export interface IterationCheck {
  readonly iteration: number;
  /** The mode's INITIALLY_SET tolerance applies. */
  readonly initiallySet: boolean;
  readonly pages: number;
  /** The iteration a page was last written in: the low half of its stamp (the high half counts writes). */
  readonly stampOf: (page: number) => number;
  /** KVM bitmaps of the pages reported by the collection while running, and by the one after the stop. */
  readonly first: Uint8Array;
  readonly second: Uint8Array;
}

const bit = (bitmap: Uint8Array, page: number): boolean => ((bitmap[page >>> 3]! >>> (page & 7)) & 1) === 1;

export function checkIteration(x: IterationCheck): Violation[] {
  const violations: Violation[] = [];
  for (let page = 0; page < x.pages; page++) {
    const stamp = x.stampOf(page);
    const v = (kind: Violation['kind']) => violations.push({ page, stamp, iteration: x.iteration, kind });
    const inFirst = bit(x.first, page);
    if (stamp > x.iteration) v('stamp-from-the-future');
    else if (inFirst || bit(x.second, page)) {
      const initiallySet = x.initiallySet && x.iteration === 1 && inFirst && stamp === 0;
      if (stamp !== x.iteration && !initiallySet) v('reported-but-stale');
    } else if (stamp === x.iteration) v('written-but-not-reported');
  }
  return violations;
}

/** Pages whose mirror copy differs from guest memory (compared in 4 KiB pages). */
export function mirrorDifferences(mirror: Uint8Array, guest: Uint8Array, pageSize: number): number[] {
  const diff: number[] = [];
  const chunk = 64 * pageSize;
  for (let at = 0; at < guest.length; at += chunk) {
    const end = Math.min(at + chunk, guest.length);
    if (Buffer.compare(mirror.subarray(at, end), guest.subarray(at, end)) === 0) continue;
    for (let p = at; p < end; p += pageSize) {
      if (Buffer.compare(mirror.subarray(p, p + pageSize), guest.subarray(p, p + pageSize)) !== 0) diff.push(p / pageSize);
    }
  }
  return diff;
}
