import { describe, expect, it } from 'vitest';
import { runSevScenario } from '../../../src/vmstate/index.ts';

describe('the three SEV races under the naive ordering', () => {
  it('scenario 1: content written for the new type travels with the old type', () => {
    const r = runSevScenario(1, 'naive');
    expect(r.result).toMatchObject({ kind: 'bad', detail: (expect.stringContaining("'half 1' garbled") as string) });
    expect(r.transfers).toContainEqual({ gfn: 0, sentAs: 'private', actual: 'private' });
  });

  it('scenario 2: a shared page goes down the private path because the type list was stale', () => {
    const r = runSevScenario(2, 'naive');
    expect(r.result).toEqual({ kind: 'bad', detail: 'gfn 0 was sent on the private path while the guest had it shared' });
  });

  it('scenario 3: the old private data is garbled when the guest flips the page back', () => {
    const r = runSevScenario(3, 'naive');
    expect(r.result).toMatchObject({ kind: 'bad', detail: (expect.stringContaining("'secret v1' garbled") as string) });
  });
});
