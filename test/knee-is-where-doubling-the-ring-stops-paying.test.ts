/**
 * The knee of a ring-size curve (Kneedle on log2 size): where doubling the ring stops paying.
 * Flat curves have none, a straight climb has none yet, a falling curve says so; the best size
 * is the smallest within 5% of the top.
 */
import { expect, it } from 'vitest';
import { bestIndex, findKnee } from '../src/experiments/knee.ts';

const sizes = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const curve = (ys: number[]) => ys.map((y, i) => ({ x: sizes[i]!, y }));

it('a curve that saturates bends where the gains stop', () => {
  // Each doubling doubles throughput up to 2048 entries, then gains 5% or less.
  const ys = [1, 2, 4, 8, 8.4, 8.6, 8.8, 9, 9];
  expect(findKnee(curve(ys))).toEqual({ kind: 'knee', index: 3 });
});

it('a curve within 10% end to end is flat', () => {
  expect(findKnee(curve([10, 10.2, 9.8, 10.5, 10.1, 9.9, 10.3, 10, 10.4]))).toEqual({ kind: 'flat' });
});

it('a curve still climbing in a straight line at the largest ring has no knee yet', () => {
  expect(findKnee(curve([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toEqual({ kind: 'rising' });
});

it('a curve that falls from the smallest ring is falling', () => {
  expect(findKnee(curve([10, 9, 8, 7, 6, 5, 4, 3, 2]))).toEqual({ kind: 'falling' });
});

it('the best size is the smallest within 5% of the top, not the top itself', () => {
  expect(bestIndex(curve([1, 2, 4, 8, 9.6, 9.8, 9.9, 10, 9.7])).index).toBe(4);
  expect(bestIndex(curve([1, 2, 4, 8, 9.4, 9.8, 9.9, 10, 9.7])).index).toBe(5);
});

it('noisy trials widen the tie, and of the tied rings the one that stalls no more than the calmest wins', () => {
  // The top (index 8) varies by 1.2 M writes/s: anything above 7.6 M ties with it.
  const noisy = [2.5, 4.4, 7.4, 10.2, 10.1, 10.5, 8.6, 8.4, 10.8].map((y, i) => ({ x: sizes[i]!, y, mad: i === 8 ? 1.2 : 0.5, stall: [0.85, 0.75, 0.6, 0.27, 0, 0, 0, 0, 0][i] }));
  expect(bestIndex(noisy)).toEqual({ index: 4, tolerance: expect.closeTo(2.4 / 10.8, 10) as number });
  // Quiet trials: the 5% rule alone, and index 3 (10.2 M, 94%) is out.
  expect(bestIndex(noisy.map((p) => ({ ...p, mad: 0.1 }))).index).toBe(5);
});
