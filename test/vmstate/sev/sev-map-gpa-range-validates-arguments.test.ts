import { expect, it } from 'vitest';
import { KVM_MAP_GPA_RANGE_ENCRYPTED, SevVm } from '../../../src/vmstate/index.ts';

it.each([
  [0x1000n, 1n, 1n << 5n, /bits 63:5/],
  [0x1000n, 1n, 3n, /page size 3/],
  [0x1001n, 1n, 0n, /4 KiB aligned/],
  [0x1000n, 0n, 0n, /npages non-zero/],
  [0x3000n, 2n, KVM_MAP_GPA_RANGE_ENCRYPTED, /outside the guest/],
])('MAP_GPA_RANGE(%s, %s, %s) returns -EINVAL and converts nothing', (gpa, npages, attrs, reason) => {
  const vm = new SevVm(4, 'engine');
  expect(vm.guestMapGpaRange(gpa, npages, attrs)).toMatchObject({ kind: 'error', errno: 'EINVAL', reason: (expect.stringMatching(reason) as string) });
  expect(vm.frames.map((f) => f.type)).toEqual(['private', 'private', 'private', 'private']);
  expect(vm.pendingExit).toBe(false);
});
