import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { Host, KVM_CLOCK_REALTIME, KvmVm } from '../../../src/vmstate/index.ts';

const u64 = fc.bigInt({ min: 0n, max: (1n << 63n) - 1n });

test.prop([u64, u64, u64, fc.bigInt({ min: 0n, max: 1n << 50n })])(
  'KVM_SET_CLOCK with REALTIME adds only a positive wall-clock gap (invariant 5)',
  (clock, savedRealtime, hostRealtimeAtZero, t) => {
    const host = new Host({ name: 'h', vendor: 'svm', tscKhz: 2_000_000n, tscAtZero: 0n, realtimeAtZeroNs: hostRealtimeAtZero });
    const vm = KvmVm.create(host, { vcpus: 1, tscKhz: 2_000_000n, t: 0n });
    const out = vm.setClock({ clock, flags: KVM_CLOCK_REALTIME, realtime: savedRealtime, hostTsc: 0n }, t);
    expect(out.kind).toBe('ok');
    const now = host.realtime(t);
    const expected = now > savedRealtime ? BigInt.asUintN(64, clock + now - savedRealtime) : clock;
    expect(vm.kvmclock(t)).toBe(expected);
    if (out.kind === 'ok') expect(out.realtimeGapNs >= 0n).toBe(true);
  },
);
