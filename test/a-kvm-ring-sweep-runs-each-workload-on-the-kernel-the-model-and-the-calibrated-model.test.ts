/**
 * `sweepRing({ backend: 'kvm' })` plans every workload three times on the same grid: on the
 * kernel (/dev/kvm), on the model, and on the model paying the calibrated costs; `calibrated`
 * alone on the model plans only the calibrated model. Checked on the plan, without running it.
 */
import { expect, it } from 'vitest';
import { ringSweepGrid, ringSweepPlan, ringSweepPoints } from '../src/experiments/ring-sweep.ts';

const COSTS = { faultCostNs: 2100, resetCostNs: 90 };

it('backend kvm: kernel, model and calibrated model at every size, each with its own run options', () => {
  const g = ringSweepGrid({ backend: 'kvm', sizes: [256, 4096], patterns: ['random'], costs: COSTS });
  expect(g.sides).toEqual(['kernel', 'model', 'calibrated']);
  const points = ringSweepPoints(g, ringSweepPlan(g), COSTS);
  expect(points.map((p) => p.label)).toEqual([
    'ring 256 · random, 2 vCPUs, 1GiB · kernel', 'ring 4096 · random, 2 vCPUs, 1GiB · kernel',
    'ring 256 · random, 2 vCPUs, 1GiB · model', 'ring 4096 · random, 2 vCPUs, 1GiB · model',
    'ring 256 · random, 2 vCPUs, 1GiB · calibrated model', 'ring 4096 · random, 2 vCPUs, 1GiB · calibrated model',
  ]);
  const pick = ({ backend, faultCostNs, resetCostNs }: (typeof points)[number]['options']) => ({ backend, faultCostNs, resetCostNs });
  expect(points.map((p) => pick(p.options))).toEqual([
    { backend: 'kvm', faultCostNs: undefined, resetCostNs: undefined }, { backend: 'kvm', faultCostNs: undefined, resetCostNs: undefined },
    { backend: undefined, faultCostNs: undefined, resetCostNs: undefined }, { backend: undefined, faultCostNs: undefined, resetCostNs: undefined },
    { backend: undefined, ...COSTS }, { backend: undefined, ...COSTS },
  ]);
  // The same workload, seed and length on every side: only the backend and the costs differ.
  const { backend: _b, faultCostNs: _f, resetCostNs: _r, ...kernel } = points[0]!.options;
  const { faultCostNs: _f2, resetCostNs: _r2, ...calibrated } = points[4]!.options;
  expect(calibrated).toEqual(kernel);
});

it('backend model with calibrated: the calibrated model alone, named as such', () => {
  const g = ringSweepGrid({ calibrated: true, sizes: [1024], patterns: ['zipf'], costs: COSTS });
  expect(g.sides).toEqual(['calibrated']);
  const points = ringSweepPoints(g, ringSweepPlan(g), COSTS);
  expect(points.map((p) => [p.label, p.options.backend, p.options.faultCostNs, p.options.resetCostNs])).toEqual([
    ['ring 1024 · zipf, 2 vCPUs, 1GiB · calibrated model', undefined, 2100, 90],
  ]);
});

it('the model alone keeps its plain labels', () => {
  const g = ringSweepGrid({ sizes: [1024], patterns: ['zipf'] });
  expect(g.sides).toEqual(['model']);
  expect(ringSweepPoints(g, ringSweepPlan(g), undefined).map((p) => p.label)).toEqual(['ring 1024 · zipf, 2 vCPUs, 1GiB']);
});
