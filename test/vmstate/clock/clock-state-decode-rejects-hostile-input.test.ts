import { describe, expect, it } from 'vitest';
import { Host, KvmVm, decodeClockState, encodeClockState, saveClock } from '../../../src/vmstate/index.ts';

describe('incoming clock state', () => {
  const vm = KvmVm.create(new Host({ name: 'h', vendor: 'vmx', tscKhz: 3_000_000n, tscAtZero: 5n, realtimeAtZeroNs: 9n }), { vcpus: 2, tscKhz: 2_000_000n, t: 0n });
  const good = encodeClockState(saveClock(vm, 1_000_000n));

  it('round-trips through JSON', () => {
    expect(decodeClockState(JSON.parse(JSON.stringify(good)))).toEqual(saveClock(vm, 1_000_000n));
  });

  it.each([
    [{ ...good, tscKhz: 3 }, /tscKhz must be a u64 as a decimal string/],
    [{ ...good, tscKhz: '0' }, /tscKhz must be in \[1, 4294967295\]/],
    [{ ...good, vcpus: [] }, /at least one vCPU/],
    [{ ...good, vcpus: [{ tscOffset: '18446744073709551616', scaledHostTsc: '0' }] }, /vcpus\[0\]\.tscOffset must be at most 2\^64-1/],
    [{ ...good, evil: true }, /evil is not a known field/],
    [{ ...good, clock: null }, /clock state\.clock must be an object/],
  ])('rejects %j with a message naming the field', (input, message) => {
    expect(() => decodeClockState(input)).toThrow(message);
  });
});
