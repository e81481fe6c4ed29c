import { describe, expect, it } from 'vitest';
import { measureVmGenIdRace } from '../../../src/vmstate/index.ts';

describe('randomness cached before a VM fork (invariant 9)', () => {
  it('unsafe: with push notification every use before the notify is stale and repeats across clones', () => {
    const r = measureVmGenIdRace({ mode: 'push', notifyDelayUses: 7, clones: 3 });
    expect(r.staleUses).toEqual([7, 7, 7]);
    expect(r.reusedAcrossClones).toBe(7);
  });

  it('a pull check of the generation counter before each use closes the window', () => {
    const r = measureVmGenIdRace({ mode: 'pull', notifyDelayUses: 7, clones: 3 });
    expect(r.staleUses).toEqual([0, 0, 0]);
    expect(r.reusedAcrossClones).toBe(0);
  });

  it('rejects a negative delay naming the option', () => {
    expect(() => measureVmGenIdRace({ mode: 'push', notifyDelayUses: -1 })).toThrow(/notifyDelayUses/);
  });
});
