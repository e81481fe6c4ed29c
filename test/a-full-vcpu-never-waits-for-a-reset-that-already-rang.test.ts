/**
 * A vCPU in a full exit reads its resume bell, then looks at its ring again, then waits on
 * the bell. A reset that landed after its last look and rang before it read the bell has
 * freed the ring: it must go on at once, not sleep on a bell that has already rung (the
 * collector, with nothing left to reset, would not ring it again before the nap ends).
 */
import { expect, it } from 'vitest';
import { awaitReset, type ResetWait } from '../src/vcpu/await-reset.ts';

/** A wait whose ring and bell follow a script; it records the sleeps. */
function scripted(o: { bell: () => number; full: () => boolean; called?: () => boolean }): ResetWait & { sleeps: number[] } {
  const sleeps: number[] = [];
  let t = 0;
  return { ...o, called: o.called ?? (() => false), now: () => (t += 0.01), sleep: (seen) => void sleeps.push(seen), sleeps };
}

it('goes on without sleeping when the reset rang before the bell was read', () => {
  // The collector reset the ring and rang (bell 7) between the vCPU's last look and this wait.
  const w = scripted({ bell: () => 7, full: () => false });
  awaitReset(w, 0.05);
  expect(w.sleeps).toEqual([]);
});

it('goes on when the bell rings while it spins', () => {
  let reads = 0;
  const w = scripted({ bell: () => (++reads < 100 ? 3 : 4), full: () => true });
  awaitReset(w, 50);
  expect(w.sleeps).toEqual([]);
  expect(reads).toBeGreaterThanOrEqual(100);
});

it('sleeps on the bell value it read when nothing comes within the spin', () => {
  const w = scripted({ bell: () => 5, full: () => true });
  awaitReset(w, 0.05);
  expect(w.sleeps).toEqual([5]);
});

it('stops waiting when the run state calls it away', () => {
  let looks = 0;
  const w = scripted({ bell: () => 5, full: () => true, called: () => ++looks > 10 });
  awaitReset(w, 50);
  expect(w.sleeps).toEqual([]);
  expect(looks).toBe(11);
});
