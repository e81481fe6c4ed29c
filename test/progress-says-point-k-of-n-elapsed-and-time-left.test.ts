/**
 * Progress of a long experiment: point k of n, time elapsed, and time left, estimated from the
 * points that finished weighted by their expected length (a 2 s run counts twice a 1 s one).
 */
import { expect, it } from 'vitest';
import { progressLine } from '../src/cli/experiment-output.ts';
import { progressClock } from '../src/experiments/progress.ts';

it('estimates nothing before a point finished, then scales by how long finished points took', () => {
  let now = 0;
  const clock = progressClock([1, 1, 2], () => now);
  expect(clock.starting(0, 'a')).toEqual({ done: 0, total: 3, label: 'a', elapsedMs: 0, remainingMs: undefined });
  now = 1500; // the 1 s point took 1.5 s
  clock.finished(0);
  expect(clock.starting(1, 'b').remainingMs).toBe(4500); // 3 s of expected length left, at 1.5x
});

it('reads as a line a person follows', () => {
  expect(progressLine('sweep ring', { done: 3, total: 30, label: 'ring 4096 · random', elapsedMs: 12_300, remainingMs: 95_000 }))
    .toBe('sweep ring: point 4 of 30 (ring 4096 · random), 12 s elapsed, about 1 min 35 s left');
  expect(progressLine('sweep guest', { done: 0, total: 4, label: '1GiB · ring', elapsedMs: 40, remainingMs: undefined }))
    .toBe('sweep guest: point 1 of 4 (1GiB · ring), 0.0 s elapsed');
});
