/**
 * The verifier's rules, after dirty_log_test (dirty-tracking.md section 10). The guest stamps
 * every page it writes with the iteration number; after each iteration, with the vCPUs
 * stopped, the host checks every page:
 *   reported dirty -> its stamp is this iteration (clear-log, iteration 1: a page only in
 *                     the first collection may hold 0, the INITIALLY_SET all-ones bitmap);
 *   not reported   -> its stamp is older (a current stamp means a write was never reported).
 * The guest here logs a write only after it lands (assembly/fault.ts guestWrite), so the
 * selftest's tolerance for a ring entry whose write has not retired is never needed.
 */
import type { Strategy } from '../threads/protocol.ts';

export interface Violation {
  readonly page: number;
  readonly stamp: number;
  readonly iteration: number;
  readonly kind: 'reported-but-stale' | 'written-but-not-reported' | 'stamp-from-the-future';
}

export interface IterationCheck {
  readonly iteration: number;
  readonly strategy: Strategy;
  readonly pages: number;
  /** The iteration a page was last written in: the low half of its stamp (the high half counts writes). */
  readonly stampOf: (page: number) => number;
  /** Pages reported by the collection while running, and by the one after the stop. */
  readonly first: Uint32Array;
  readonly second: Uint32Array;
}

export function checkIteration(x: IterationCheck): { violations: Violation[]; dirty: number } {
  const inFirst = new Uint8Array(x.pages);
  const reported = new Uint8Array(x.pages);
  for (const p of x.first) inFirst[p] = reported[p] = 1;
  for (const p of x.second) reported[p] = 1;
  const violations: Violation[] = [];
  let dirty = 0;
  for (let page = 0; page < x.pages; page++) {
    const stamp = x.stampOf(page);
    const v = (kind: Violation['kind']) => violations.push({ page, stamp, iteration: x.iteration, kind });
    if (stamp > x.iteration) v('stamp-from-the-future');
    else if (reported[page]) {
      dirty++;
      const initiallySet = x.strategy === 'clear-log' && x.iteration === 1 && inFirst[page] && stamp === 0;
      if (stamp !== x.iteration && !initiallySet) v('reported-but-stale');
    } else if (stamp === x.iteration) v('written-but-not-reported');
  }
  return { violations, dirty };
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
