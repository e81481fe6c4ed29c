import { describe, expect, it } from 'vitest';
import { Host, KvmVm, decodeClockState, encodeClockState, saveClock } from '../../../src/vmstate/index.ts';

describe('incoming clock state', () => {
  const vm = KvmVm.create(new Host({ name: 'h', vendor: 'vmx', tscKhz: 3_000_000n, tscAtZero: 5n, realtimeAtZeroNs: 9n }), { vcpus: 2, tscKhz: 2_000_000n, t: 0n });
  const good = encodeClockState(saveClock(vm, 1_000_000n));

  it('round-trips through JSON', () => {
    expect(decodeClockState(JSON.parse(JSON.stringify(good)))).toEqual(saveClock(vm, 1_000_000n));
  });

  it.each([
    [{ ...good, tscKhz: 3 }, TypeError, 'clock state.tscKhz must be a u64 as a decimal string such as "1234", got 3: JSON numbers are exact only up to 2^53'],
    [{ ...good, tscKhz: '0' }, RangeError, 'clock state.tscKhz must be between 1 and 4294967295, got 0: KVM_SET_TSC_KHZ takes a u32'],
    [{ ...good, vcpus: [] }, RangeError, 'clock state.vcpus must be an array of at least one vCPU, got an empty array'],
    [{ ...good, vcpus: [{ tscOffset: '18446744073709551616', scaledHostTsc: '0' }] }, RangeError, 'clock state.vcpus[0].tscOffset must be at most 2^64-1 (18446744073709551615), got "18446744073709551616"'],
    [{ ...good, evil: true }, TypeError, 'clock state must be a record with only the fields tscKhz, clock, vcpus, got "evil"'],
    [{ ...good, clock: null }, TypeError, 'clock state.clock must be an object, got null'],
  ])('rejects %j with a message naming the field', (input, type, message) => {
    expect(() => decodeClockState(input)).toThrow(expect.objectContaining({ constructor: type, message }));
  });
});
