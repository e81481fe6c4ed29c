/** dirtylog: KVM's dirty rings and dirty bitmaps, in user space, over one shared Wasm memory. */
export { createVm, Vm, type CreateVmOptions, type DirtyRingOptions, type ManualProtectOptions, type VmStats, type Arena, type Arch, type BackendKind } from './kvm/vm.ts';
export { ARCHES, BACKEND_KINDS } from './backend/backend.ts';
export { KvmUnavailableError, kvmDeviceProblem, type KvmUnavailableReason } from './backend/kvm/index.ts';
export { Vcpu, DirtyRing, type DirtyGfn } from './kvm/vcpu.ts';
export { KvmError, type Errno } from './kvm/errors.ts';
export { Memslot, type MemoryRegion, type DirtyLog } from './kvm/memslot.ts';
export { dirtyRingSize, minRingEntries, type DirtyRingSize } from './kvm/dirty-ring-size.ts';
export { RING_PROTOCOLS, RING_PROTOCOL_INFO, type RingProtocol, type RingProtocolInfo } from './kvm/ring-protocol.ts';
export type { FaultOutcome, FaultKind, PushOutcome, PushKind } from './kvm/outcomes.ts';
export { pagesOf } from './kvm/bitmap-pages.ts';
export { loadEngine, compileEngine } from './engine/load.ts';
export { ENGINE_KINDS, EXPORT_NAMES, type EngineExports, type EngineKind } from './engine/exports.ts';
export { ABI, planArena, bitmapBytes, MAX_VCPUS, DIRTY_RING_MAX_ENTRIES, DIRTY_RING_RSVD_ENTRIES, PML_LOG_NR_ENTRIES, KVM_MEM_MAX_NR_PAGES } from './layout.ts';
export { startRun, Run, type RunResult, type RunEvent, type IterationReport, type RunTotals, type ThreadStats, type Verification, type RunError, type CollectorTotals, type VcpuIterationReport } from './run/run.ts';
export type { RunOptions } from './run/options.ts';
export { DIRTY_RATE_MODES, DIRTYRATE_DEFAULT_SAMPLE_PAGES, type DirtyRateMode, type DirtyRateReport, type DirtyRateEstimate, type Rate, type VcpuDirtyRate } from './run/dirty-rate.ts';
export { STRATEGIES, MODES, trackingMode, BROKEN_COLLECTORS, type Strategy, type BrokenCollector, type TrackingMode } from './tracking/index.ts';
export type { Inject } from './threads/protocol.ts';
export { PATTERNS, type Pattern } from './vcpu/workload.ts';
export { parseSize, formatSize } from './run/size.ts';
export {
  sweepRing, sweepGuest, splitIntoSlots, runComparison, COMPARISONS, namedComparison, comparisonSpec, parseScenariosFile, METRICS,
  calcDirtyRate, limitConvergence, type LimitConvergence, type DirtyRateOptions, type DirtyRateResult, type DirtyRateListener, type ModeError,
  type RingSweepOptions, type RingSweepResult, type GuestSweepOptions, type GuestSweepResult, type ComparisonSpec, type ComparisonScenario,
  type ComparisonResult, type NamedComparison, type Progress,
} from './experiments/index.ts';
export * from './vmstate/index.ts';
export { startVm, RunningVm, type VmOptions, type VmSync, type VmEvent, type VmResult } from './run/running-vm.ts';
export { DirtySet } from './run/dirty-set.ts';
export type { VcpuState } from './run/vcpu-state.ts';
export * from './migration/index.ts';
