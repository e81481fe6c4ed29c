/**
 * Growth laws fitted on log-log axes recover the exponent of a power law, and the crossover
 * of a flat law (the ring at a fixed dirty count) with a linear one (the bitmap) lies where
 * they are equal.
 */
import { expect, it } from 'vitest';
import { crossing, evaluate, fitPowerLaw } from '../src/experiments/fit.ts';

const gib = [1, 4, 16, 64, 256, 1024, 4096, 16384];

it('recovers coefficient and exponent of an exact power law', () => {
  const law = fitPowerLaw(gib, gib.map((x) => 0.25 * x ** 0.98))!;
  expect(law.exponent).toBeCloseTo(0.98, 10);
  expect(law.coefficient).toBeCloseTo(0.25, 10);
  expect(law.r2).toBeCloseTo(1, 10);
});

it('a flat law and a linear one cross where their costs are equal', () => {
  const ring = fitPowerLaw(gib, gib.map(() => 4))!;
  const bitmap = fitPowerLaw(gib, gib.map((x) => 0.05 * x))!;
  const x = crossing(ring, bitmap)!;
  expect(x).toBeCloseTo(80, 6); // 4 ms = 0.05 ms x 80 GiB
  expect(evaluate(ring, x)).toBeCloseTo(evaluate(bitmap, x), 6);
});

it('no crossing when the other law does not grow faster', () => {
  const a = fitPowerLaw(gib, gib.map((x) => x))!;
  const b = fitPowerLaw(gib, gib.map((x) => 2 * x))!;
  expect(crossing(a, b)).toBeUndefined();
});

it('refuses to fit fewer than two sizes or non-positive costs', () => {
  expect(fitPowerLaw([1, 1], [2, 3])).toBeUndefined();
  expect(fitPowerLaw([1, 2], [0, -1])).toBeUndefined();
});
