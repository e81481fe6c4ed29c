import { describe, expect, it } from 'vitest';
import { runSevScenario } from '../../../src/vmstate/index.ts';

describe('the engine ordering (invariant 14)', () => {
  it.each([1, 2, 3] as const)('scenario %i ends good, every final copy with the current type', (n) => {
    const r = runSevScenario(n, 'engine');
    expect(r.result.kind).toBe('good');
    const last = new Map(r.transfers.map((t) => [t.gfn, t]));
    for (const t of last.values()) expect(t.sentAs).toBe(t.actual);
  });

  it('harvests dirty bits before reading types in every round', () => {
    const steps = runSevScenario(2, 'engine').steps.filter((s) => s.startsWith('vmm: get dirty') || s.startsWith('vmm: read types'));
    for (let i = 0; i < steps.length; i += 2) {
      expect(steps[i]).toMatch(/^vmm: get dirty/);
      expect(steps[i + 1]).toMatch(/^vmm: read types/);
    }
  });
});
