import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { Host, KvmVm, restoreClock, saveClock, scaleTsc, tscAtKvmclockZero } from '../../../src/vmstate/index.ts';

const host = (name: string, tscKhz: bigint, tscAtZero: bigint) => new Host({ name, vendor: 'vmx', tscKhz, tscAtZero, realtimeAtZeroNs: 10n ** 18n });
const arb = {
  srcKhz: fc.bigInt({ min: 1_000_000n, max: 5_000_000n }),
  dstKhz: fc.bigInt({ min: 1_000_000n, max: 5_000_000n }),
  tscA: fc.bigInt({ min: 0n, max: 1n << 50n }),
  tscB: fc.bigInt({ min: 0n, max: 1n << 50n }),
  downtime: fc.bigInt({ min: 0n, max: 10_000_000_000n }),
};

function constantAfter(formula: 'documented' | 'raw-host-tsc', srcKhz: bigint, dstKhz: bigint, tscA: bigint, tscB: bigint, downtime: bigint) {
  const guestKhz = 2_500_000n;
  const src = host('src', srcKhz, tscA);
  const dst = host('dst', dstKhz, tscB);
  const vm = KvmVm.create(src, { vcpus: 2, tscKhz: guestKhz, t: 1_000_000n });
  const tPause = 5_000_000_000n;
  const before = vm.vcpus.map((v) => tscAtKvmclockZero(v.offset, scaleTsc(src.tsc(tPause), v.scaling), vm.kvmclock(tPause), guestKhz));
  const target = KvmVm.create(dst, { vcpus: 2, tscKhz: guestKhz, t: tPause + downtime });
  const out = restoreClock(target, saveClock(vm, tPause), tPause + downtime, { purpose: 'live-migration', formula, checks: 'off' });
  const t = tPause + downtime;
  const after = target.vcpus.map((v) => tscAtKvmclockZero(v.offset, scaleTsc(dst.tsc(t), v.scaling), target.kvmclock(t), guestKhz));
  return { out, before, after };
}

test.prop([arb.srcKhz, arb.dstKhz, arb.tscA, arb.tscB, arb.downtime])(
  'invariant 3: the guest TSC at kvmclock 0 is bit-identical after the documented restore',
  (srcKhz, dstKhz, tscA, tscB, downtime) => {
    const { out, before, after } = constantAfter('documented', srcKhz, dstKhz, tscA, tscB, downtime);
    expect(out.kind).toBe('restored');
    expect(after).toEqual(before);
  },
);

test('unsafe: raw KVM_CLOCK_HOST_TSC values on scaled hosts change the constant', () => {
  const { before, after } = constantAfter('raw-host-tsc', 3_000_000n, 3_200_000n, 1n << 40n, 1n << 30n, 150_000_000n);
  expect(after[0]).not.toBe(before[0]);
});
