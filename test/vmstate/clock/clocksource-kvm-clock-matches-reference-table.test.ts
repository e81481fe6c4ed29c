import { expect, it } from 'vitest';
import { kvmClockClocksource } from '../../../src/vmstate/index.ts';

it('kvm-clock (1 GHz) gives mult 8388608 / shift 23, max_cycles 0x1CD42E4DFFB and max_idle_ns 881590591483', () => {
  const c = kvmClockClocksource();
  expect(c.mult).toBe(8_388_608n);
  expect(c.shift).toBe(23n);
  expect(c.maxCycles).toBe(0x1cd42e4dffbn);
  expect(c.maxIdleNs).toBe(881_590_591_483n);
});
