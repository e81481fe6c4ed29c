import { describe, expect, it } from 'vitest';
import { SevVm, decodeSevState } from '../../../src/vmstate/index.ts';

describe('incoming SEV page status', () => {
  it('round-trips shared ranges', () => {
    const vm = new SevVm(8, 'engine');
    vm.writeMsr(0x4b564d08, 1n);
    for (const gfn of [1, 2, 5]) {
      vm.convert(gfn, 'shared');
      vm.kvmRun();
    }
    const state = vm.saveState();
    expect(state).toEqual({ pages: 8, migrationReady: true, shared: [[1, 3], [5, 6]] });
    expect(decodeSevState(JSON.parse(JSON.stringify(state)))).toEqual(state);
  });

  it.each([
    [{ pages: 8, migrationReady: true, shared: [[3, 5], [4, 6]] }, /shared\[1\]\[0\] must be in \[5, 7\]/],
    [{ pages: 8, migrationReady: true, shared: [[2, 2]] }, /shared\[0\]\[1\] must be in \[3, 8\]/],
    [{ pages: 8, migrationReady: true, shared: [[0, 9]] }, /must be in \[1, 8\]/],
    [{ pages: 8, migrationReady: 'yes', shared: [] }, /migrationReady must be true or false/],
    [{ pages: 0, migrationReady: true, shared: [] }, /pages must be in/],
  ])('rejects %j', (input, message) => {
    expect(() => decodeSevState(input)).toThrow(message);
  });
});
