import { describe, expect, it } from 'vitest';
import { Host, KvmVm, restoreClock, saveClock } from '../../../src/vmstate/index.ts';

describe('the documented restore, with cycles per ns = kHz / 10^6', () => {
  const make = (name: string, tscKhz: bigint, tscAtZero: bigint) => new Host({ name, vendor: 'vmx', tscKhz, tscAtZero, realtimeAtZeroNs: 1_600_000_000_000_000_000n });

  it('a 150 ms downtime at 2.5 GHz adds exactly 375,000,000 guest cycles, on scaled hosts', () => {
    const src = make('src', 3_000_000n, 9_999_999_999n);
    const dst = make('dst', 2_700_000n, 42n);
    const vm = KvmVm.create(src, { vcpus: 2, tscKhz: 2_500_000n, t: 1_000_000_000n });
    const tPause = 7_000_000_123n;
    const tscAtPause = vm.readTsc(1, tPause);
    const state = saveClock(vm, tPause);
    const tRestore = tPause + 150_000_000n;
    const target = KvmVm.create(dst, { vcpus: 2, tscKhz: 2_500_000n, t: tRestore });
    const outcome = restoreClock(target, state, tRestore, { purpose: 'live-migration' });
    expect(outcome.kind).toBe('restored');
    if (outcome.kind !== 'restored') return;
    expect(outcome.addedCycles).toBe(375_000_000n);
    expect(target.readTsc(1, tRestore) - tscAtPause).toBe(375_000_000n);
  });

  it('the document\'s literal units (ns * kHz) would add 10^6 times too much and are refused', () => {
    const src = make('src', 3_000_000n, 0n);
    const vm = KvmVm.create(src, { vcpus: 1, tscKhz: 2_500_000n, t: 0n });
    const state = saveClock(vm, 1_000_000_000n);
    const target = KvmVm.create(make('dst', 3_000_000n, 5n), { vcpus: 1, tscKhz: 2_500_000n, t: 1_150_000_000n });
    const before = target.getTscOffset(0);
    const outcome = restoreClock(target, state, 1_150_000_000n, { purpose: 'live-migration', formula: 'unscaled-units' });
    expect(outcome.kind).toBe('refused');
    expect(target.getTscOffset(0)).toBe(before);
  });
});
