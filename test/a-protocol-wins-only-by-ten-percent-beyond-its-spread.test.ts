/**
 * `compare protocols` names a winner only where its median is 10% better and its worst trial
 * beats the runner-up's median, over two trials or more; anything else is a tie. It judges
 * the review's two questions as duels: flags against indices, adjacent against apart.
 */
import { expect, it } from 'vitest';
import type { Summary } from '../src/bench/stats.ts';
import { duels, winner } from '../src/experiments/protocols.ts';

const s = (median: number, min: number, max: number, samples = 3): Summary => ({ median, min, max, mad: 0, samples });

it('a clear 20% lead wins, by the ratio of the medians', () => {
  const w = winner([{ protocol: 'flags', s: s(10, 9, 11) }, { protocol: 'indices', s: s(12, 11.5, 13) }, { protocol: 'indices-apart', s: s(14, 13, 15) }], 'lower');
  expect(w?.best.protocol).toBe('flags');
  expect(w?.other.protocol).toBe('indices');
  expect(w?.ratio).toBeCloseTo(1.2);
  expect(winner([{ protocol: 'flags', s: s(10, 9, 11) }, { protocol: 'indices', s: s(12, 11.5, 13) }], 'higher')?.best.protocol).toBe('indices');
});

it('a lead under 10% is a tie', () => {
  expect(winner([{ protocol: 'flags', s: s(10, 10, 10) }, { protocol: 'indices', s: s(10.9, 10.9, 10.9) }], 'lower')).toBeUndefined();
});

it('a lead whose worst trial reaches the other\'s median is a tie', () => {
  expect(winner([{ protocol: 'flags', s: s(10, 9, 12.5) }, { protocol: 'indices', s: s(12, 11, 13) }], 'lower')).toBeUndefined();
  expect(winner([{ protocol: 'flags', s: s(12, 9.5, 13) }, { protocol: 'indices', s: s(10, 9, 11) }], 'higher')).toBeUndefined();
});

it('one trial decides nothing, however far apart', () => {
  expect(winner([{ protocol: 'flags', s: s(10, 10, 10, 1) }, { protocol: 'indices', s: s(20, 20, 20, 1) }], 'lower')).toBeUndefined();
});

it('the verdict is two duels, so the two placements of shared indices do not split their lead over flags', () => {
  const cands = [{ protocol: 'flags', s: s(4.6, 4.5, 4.7) }, { protocol: 'indices', s: s(3.2, 3.1, 3.3) }, { protocol: 'indices-apart', s: s(3.1, 3.0, 3.4) }] as const;
  expect(winner(cands, 'lower')).toBeUndefined(); // three-way, the runner-up is the other placement
  expect(duels(cands, 'lower')).toEqual(['flags against indices: indices by 1.4x', 'indices against indices-apart: a tie']);
});
