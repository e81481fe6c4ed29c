import { describe, expect, it } from 'vitest';
import { Host, KVM_CLOCK_HOST_TSC, KVM_CLOCK_TSC_STABLE, KvmVm } from '../../../src/vmstate/index.ts';

describe('KVM_SET_CLOCK flags', () => {
  const host = new Host({ name: 'h', vendor: 'vmx', tscKhz: 3_000_000n, tscAtZero: 0n, realtimeAtZeroNs: 0n });

  it('rejects bits outside TSC_STABLE|REALTIME|HOST_TSC with EINVAL and leaves kvmclock alone', () => {
    const vm = KvmVm.create(host, { vcpus: 1, tscKhz: 3_000_000n, t: 0n });
    const before = vm.kvmclock(10n);
    expect(vm.setClock({ clock: 5n, flags: 1, realtime: 0n, hostTsc: 0n }, 10n)).toMatchObject({ kind: 'error', errno: 'EINVAL' });
    expect(vm.kvmclock(10n)).toBe(before);
  });

  it('accepts GET output passed straight back; only REALTIME acts', () => {
    const vm = KvmVm.create(host, { vcpus: 2, tscKhz: 3_000_000n, t: 0n });
    const data = vm.getClock(1_000n);
    expect(data.flags & KVM_CLOCK_TSC_STABLE).toBe(KVM_CLOCK_TSC_STABLE);
    const out = vm.setClock({ ...data, flags: KVM_CLOCK_TSC_STABLE | KVM_CLOCK_HOST_TSC }, 5_000n);
    expect(out).toEqual({ kind: 'ok', clock: data.clock, realtimeGapNs: 0n });
  });
});
