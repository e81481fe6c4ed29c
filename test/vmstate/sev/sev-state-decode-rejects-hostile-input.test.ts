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
    [{ pages: 8, migrationReady: true, shared: [[3, 5], [4, 6]] }, RangeError, 'sev state.shared[1][0] must be between 5 and 7, got 4'],
    [{ pages: 8, migrationReady: true, shared: [[2, 2]] }, RangeError, 'sev state.shared[0][1] must be between 3 and 8, got 2'],
    [{ pages: 8, migrationReady: true, shared: [[0, 9]] }, RangeError, 'sev state.shared[0][1] must be between 1 and 8, got 9'],
    [{ pages: 8, migrationReady: true, shared: [[0]] }, TypeError, 'sev state.shared[0] must be a pair [startGfn, endGfn], got 1 items'],
    [{ pages: 8, migrationReady: 'yes', shared: [] }, TypeError, 'sev state.migrationReady must be true or false, got "yes"'],
    [{ pages: 0, migrationReady: true, shared: [] }, RangeError, 'sev state.pages must be between 1 and 1048576, got 0'],
  ])('rejects %j', (input, type, message) => {
    expect(() => decodeSevState(input)).toThrow(expect.objectContaining({ constructor: type, message }));
  });
});
