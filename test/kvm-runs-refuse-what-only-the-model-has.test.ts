/**
 * A run on the kvm backend refuses, before anything starts, what only the model can do, each
 * with the option's name and the reason: PML (this host has none), the model's calibrated
 * costs (KVM pays its own), several vCPUs per thread (KVM_RUN blocks a thread), never-rearm
 * (the kernel re-protects on its own), shared ring indices (the kernel speaks flags), guests past the 36-bit physical address space, and the
 * kvm-only test hook on the model.
 */
import { expect, it } from 'vitest';
import { startRun, type RunOptions } from '../src/index.ts';
import { resolveRunOptions } from '../src/run/options.ts';

it.each([
  [{ backend: 'kvm', strategy: 'ring', pml: true }, /pml is the model's, not the kvm backend's: this host has no Intel PML .*: drop pml, or use backend model/],
  [{ backend: 'kvm', strategy: 'ring', faultCostNs: 2000 }, /faultCostNs is the model's, not the kvm backend's: the kvm backend pays the kernel's own fault cost/],
  [{ backend: 'kvm', strategy: 'ring', resetCostNs: 40 }, /resetCostNs is the model's, not the kvm backend's/],
  [{ backend: 'kvm', strategy: 'ring', vcpus: 4, vcpusPerThread: 2 }, /vcpusPerThread must be 1 with backend kvm \(KVM_RUN blocks its thread/],
  [{ backend: 'kvm', strategy: 'ring', brokenCollector: 'never-rearm' }, /brokenCollector never-rearm exists only on backend model: .*on backend kvm use drop-entries or drop-bits or read-before-reset/],
  [{ backend: 'kvm', strategy: 'ring', dirtyLimit: 1000 }, /dirtyLimit is the model's, not the kvm backend's: .*drop dirtyLimit, or use backend model/],
  [{ backend: 'kvm', strategy: 'ring', dirtyRate: true }, /dirtyRate is the model's, not the kvm backend's/],
  [{ backend: 'kvm', strategy: 'ring', ringProtocol: 'indices' }, /ringProtocol must be flags with backend kvm \(the kernel speaks per-entry flags.*: drop ringProtocol, or use backend model/],
  [{ backend: 'kvm', strategy: 'bitmap', memory: '64GiB' }, /memory must be at most 63GiB with backend kvm \(the guest's physical addresses end at 64 GiB/],
  [{ backend: 'kvm', strategy: 'ring', vcpus: 1025 }, /vcpus must be between 1 and 1024, got 1025: KVM here allows 1024 vCPUs/],
  [{ backend: 'model', strategy: 'ring', inject: { guestBatchWrites: 64 } }, /inject\.guestBatchWrites applies to backend kvm/],
  [{ backend: 'qemu', strategy: 'ring' }, /backend must be one of model, kvm, got "qemu"/],
  [{ strategy: 'ring', faultCostNs: -1 }, /faultCostNs must be between 0 and 10000000, got -1: nanoseconds per logged page; dirtylog bench kvm --calibrate prints this host's/],
  [{ strategy: 'ring', brokenCollector: 'drop-bits' }, /drop-bits applies to modes that read dirty bitmaps with GET .*not to ring/],
])('%o', (options, message) => {
  expect(() => startRun(options as RunOptions)).toThrow(message);
});

it.each([
  { backend: 'kvm', strategy: 'bitmap', brokenCollector: 'drop-bits' },
  { backend: 'kvm', strategy: 'ring', ringProtocol: 'flags' },
  { backend: 'kvm', strategy: 'ring', brokenCollector: 'read-before-reset', inject: { guestBatchWrites: 64 } },
  { backend: 'model', strategy: 'clear-log', brokenCollector: 'drop-bits', faultCostNs: 2500, resetCostNs: 40 },
] as const)('accepts %o', (options) => {
  expect(resolveRunOptions(options).options).toMatchObject({ backend: options.backend });
});
