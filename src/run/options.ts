/** Options of a run, validated up front: a bad one names itself and the fix before any thread starts. */
import { BACKEND_KINDS, type BackendKind } from '../backend/backend.ts';
import { GPA_LIMIT, GUEST_MAX_VCPUS, runArea, USER_BASE } from '../backend/kvm/guest.ts';
import { ENGINE_KINDS, type EngineKind } from '../engine/exports.ts';
import { dirtyRingSize } from '../kvm/dirty-ring-size.ts';
import { RING_PROTOCOLS, type RingProtocol } from '../kvm/ring-protocol.ts';
import { ABI, KVM_MEM_MAX_NR_PAGES, MAX_VCPUS, planArena } from '../layout.ts';
import type { Inject } from '../threads/protocol.ts';
import { BROKEN_COLLECTORS, breakMode, trackingMode, type BrokenCollector, type Strategy, type TrackingMode } from '../tracking/index.ts';
import {
  describe, rejectUnknownKeys, requireBoolean, requireNumber, requireInteger, requireObject, requireOneOf, requirePositive, requireSignal,
} from '../validate.ts';
import { PATTERNS, type Pattern } from '../vcpu/workload.ts';
import { DIRTYRATE_DEFAULT_SAMPLE_PAGES, MAX_SAMPLE_PAGE_COUNT, MIN_SAMPLE_PAGE_COUNT, sampleCount } from './dirty-rate.ts';
import { formatSize, parseSize } from './size.ts';

export interface RunOptions {
  /** How the collector learns which pages were written: a tracking mode's name. */
  readonly strategy: Strategy;
  /**
   * `model` (default): the engine is the kernel. `kvm`: this machine's /dev/kvm: a native
   * guest per vCPU thread writes real guest memory, and the collector harvests the real rings
   * or bitmaps (ring, bitmap and clear-log; x86 has no ring-with-bitmap).
   */
  readonly backend?: BackendKind;
  /** @default 'wasm' (on the kvm backend, the engine does the VMM's bookkeeping) */
  readonly engine?: EngineKind;
  /** vCPU threads. @default 2 */
  readonly vcpus?: number;
  /** Guest memory, e.g. '64MiB', '1GiB', '16TiB' (tracking only above a few GiB). @default '64MiB' */
  readonly memory?: string | number;
  /** Ring entries per vCPU (ring strategies only). @default 4096 */
  readonly ringEntries?: number;
  /**
   * How the rings tell the collector what they hold (ring strategies only): `flags` (KVM's),
   * `indices` (the RFC's shared indices, one cache line) or `indices-apart`. @default 'flags'
   */
  readonly ringProtocol?: RingProtocol;
  /** Intel PML: writes reach the ring or bitmap at exits; the ring reserves 512 more. @default false */
  readonly pml?: boolean;
  /** @default 'random' */
  readonly pattern?: Pattern;
  /** Workload seed; the same seed repeats the same page sequences. @default 1 */
  readonly seed?: number;
  /** Strided: pages between writes. @default 17 */
  readonly stride?: number;
  /** Zipf: the exponent s (probability of rank r is proportional to 1 / r^s). @default 1.1 */
  readonly zipfExponent?: number;
  /** Zipf: size of the hot set, in pages. @default min(pages, 4096) */
  readonly hotPages?: number;
  /** Guest writes per second per vCPU, 0 = unlimited. @default 0 */
  readonly writeRate?: number;
  /**
   * QEMU's dirty limit (set-vcpu-dirty-limit): dirty pages per second per vCPU, 0 = none. A
   * vCPU over it is held after each ring-full exit; ring strategies only. @default 0
   */
  readonly dirtyLimit?: number;
  /** How often the dirty limit measures each vCPU and adjusts its hold (QEMU's x-vcpu-dirty-limit-period, 1 to 1000). @default 1000 */
  readonly dirtyLimitPeriodMs?: number;
  /** Wall-clock length of the run, in seconds. @default 1 */
  readonly seconds?: number;
  /** Stop after this many iterations instead (whichever comes first with seconds). */
  readonly iterations?: number;
  /** Length of one iteration: run, collect while running, stop, collect, verify. @default 100 */
  readonly intervalMs?: number;
  /** Each iteration runs at least this many guest writes (dirty_log_test: 256). @default 256 */
  readonly minWrites?: number;
  /** Stamp pages, check every sync and every page after every iteration, and compare the host mirror. @default false */
  readonly verify?: boolean;
  /**
   * QEMU's calc-dirty-rate over every iteration, in each mode the tracking allows (page-sampling,
   * and dirty-ring or dirty-bitmap), beside the pages the engine counted: IterationReport.dirtyRate.
   * Keeps page contents (memory up to 1 GiB) and skips the collection while running. @default false
   */
  readonly dirtyRate?: boolean;
  /** page-sampling: pages sampled per GiB of guest (QEMU's sample-pages, 128 to 16384). @default 512 */
  readonly samplePages?: number;
  /** Keep page contents in the shared arena (what a migration reads and sends); implied by verify. @default false */
  readonly contents?: boolean;
  /** QEMU's reaper period: ring strategies reap at least this often; 0 = reap continuously. @default 1000 */
  readonly reapIntervalMs?: number;
  /** clear-log: pages per KVM_CLEAR_DIRTY_LOG (QEMU's clear chunk: 1 GiB). @default 262144 */
  readonly clearChunkPages?: number;
  /** Guest writes per slice: how often a vCPU looks at kicks, pauses and stops. @default 1024 */
  readonly sliceWrites?: number;
  /**
   * vCPUs one thread runs, time-sliced, each keeping its own ring, exits and kicks.
   * @default 1 up to 64 vCPUs (one thread per vCPU, as a VMM runs them), then enough to keep 64 threads
   */
  readonly vcpusPerThread?: number;
  /** ring-with-bitmap: run a vCPU-less device writer thread too. @default true for ring-with-bitmap */
  readonly deviceWriter?: boolean;
  /** Bounded waits; a timeout ends the run with an error naming the thread that did not answer. */
  readonly timeouts?: { readonly startMs?: number; readonly kickMs?: number; readonly fullWaitMs?: number; readonly pauseMs?: number; readonly stopMs?: number };
  readonly signal?: AbortSignal;
  /** Demonstration and testing: a deliberately broken collector the verifier must catch. */
  readonly brokenCollector?: BrokenCollector;
  /** Testing: faults and interleavings injected into the threads (see Inject). */
  readonly inject?: Inject;
  /**
   * The model only: nanoseconds a vCPU spends per page it logs (a first write to a protected
   * page), on top of the engine's own time: the kernel's fault cost, so the model can predict
   * the kernel (`dirtylog bench kvm --calibrate` prints this host's). @default 0
   */
  readonly faultCostNs?: number;
  /** The model only: nanoseconds the collector spends per ring entry it resets, on top of the engine's. @default 0 */
  readonly resetCostNs?: number;
}

export interface ResolvedRunOptions {
  readonly strategy: Strategy;
  readonly backend: BackendKind;
  /** Whose KVM the model follows: the tracking mode's (ring-with-bitmap exists only on arm64), else x86. */
  readonly arch: 'x86' | 'arm64';
  readonly engine: EngineKind;
  readonly vcpus: number;
  readonly memoryBytes: number;
  readonly pages: number;
  /** 0 for strategies without rings. */
  readonly ringEntries: number;
  /** Undefined for strategies without rings. */
  readonly ringProtocol: RingProtocol | undefined;
  readonly pml: boolean;
  readonly pattern: Pattern;
  readonly seed: number;
  readonly stride: number;
  readonly zipfExponent: number;
  readonly hotPages: number;
  readonly writeRate: number;
  /** 0 = no dirty limit. */
  readonly dirtyLimit: number;
  readonly dirtyLimitPeriodMs: number;
  readonly seconds: number;
  readonly iterations: number;
  readonly intervalMs: number;
  readonly minWrites: number;
  readonly verify: boolean;
  readonly dirtyRate: boolean;
  /** Pages page-sampling hashes per GiB (with dirtyRate). */
  readonly samplePages: number;
  /** Page contents live in the shared arena (verify, or a migration's guest). */
  readonly contents: boolean;
  readonly reapIntervalMs: number;
  readonly clearChunkPages: number;
  readonly sliceWrites: number;
  readonly vcpusPerThread: number;
  readonly deviceWriter: boolean;
  readonly timeouts: { readonly startMs: number; readonly kickMs: number; readonly fullWaitMs: number; readonly pauseMs: number; readonly stopMs: number };
  readonly brokenCollector: BrokenCollector | undefined;
  readonly inject: Inject | undefined;
  readonly faultCostNs: number;
  readonly resetCostNs: number;
}

/** What a run reports of its options: plain data, without the test hooks and timeouts. */
export type RunSummaryOptions = Omit<ResolvedRunOptions, 'inject' | 'timeouts'>;

const KEYS = [
  'strategy', 'backend', 'engine', 'vcpus', 'memory', 'ringEntries', 'ringProtocol', 'pml', 'pattern', 'seed', 'stride', 'zipfExponent', 'hotPages',
  'writeRate', 'dirtyLimit', 'dirtyLimitPeriodMs', 'seconds', 'iterations', 'intervalMs', 'minWrites', 'verify', 'dirtyRate', 'samplePages', 'contents', 'reapIntervalMs', 'clearChunkPages',
  'sliceWrites', 'vcpusPerThread', 'deviceWriter', 'timeouts', 'signal', 'brokenCollector', 'inject', 'faultCostNs', 'resetCostNs',
];
const TIMEOUT_KEYS = ['startMs', 'kickMs', 'fullWaitMs', 'pauseMs', 'stopMs'];
const INJECT_KEYS = ['vcpuFailsAfterSlices', 'vcpuHangsAfterSlices', 'collectorFailsOnSync', 'collectorHangs', 'pauseBeforeFirstRearm', 'guestBatchWrites'];
/** Above this many vCPUs, threads run several each by default (a thread costs about 11 MiB). */
const THREADS_BY_DEFAULT = 64;
/** Content mode keeps guest pages and a host mirror: both must fit in memory. */
const MAX_VERIFY_BYTES = 2 ** 30;
/** The kvm backend's guest leaves its KVM_RUN at least this often, so its counters reach the arena. */
const KVM_SLICE_WRITES = 65536;
/** The most a calibrated cost may say: a thousand times the kernel's slowest measured operation. */
const MAX_COST_NS = 1e7;

/** Check every option; returns them resolved, with the run's tracking mode looked up once. */
export function resolveRunOptions(options: RunOptions): { options: ResolvedRunOptions; mode: TrackingMode; signal: AbortSignal | undefined } {
  const o = requireObject('options', options);
  rejectUnknownKeys('options', o, KEYS);
  const mode = trackingMode(o.strategy);
  const backend = requireOneOf('backend', o.backend, BACKEND_KINDS, 'model');
  const kvm = backend === 'kvm';
  if (kvm) refuseOnKvm(o, mode);
  const engine = requireOneOf('engine', o.engine, ENGINE_KINDS, 'wasm');
  const signal = requireSignal('signal', o.signal);
  const deviceWriter = requireBoolean('deviceWriter', o.deviceWriter, mode.deviceWriter === 'by-default');
  if (deviceWriter && mode.deviceWriter === 'never') {
    throw new RangeError(`deviceWriter needs strategy ring-with-bitmap (its writes need a backup bitmap to land in), got strategy ${mode.name}`);
  }
  const maxVcpus = MAX_VCPUS - (deviceWriter ? 1 : 0);
  const vcpus = kvm
    ? requireInteger('vcpus', o.vcpus ?? 2, 1, GUEST_MAX_VCPUS, 'KVM here allows 1024 vCPUs, and the kvm backend runs a thread each')
    : requireInteger('vcpus', o.vcpus ?? 2, 1, maxVcpus, `dirtylog's arena holds at most ${MAX_VCPUS} vCPUs${deviceWriter ? ', one of them the device writer' : ''}`);
  const { memoryBytes, pages } = guestSize(o.memory);
  if (kvm && memoryBytes > GPA_LIMIT - USER_BASE) {
    throw new RangeError(`memory must be at most ${formatSize(GPA_LIMIT - USER_BASE)} with backend kvm (the guest's physical addresses end at 64 GiB without KVM_SET_CPUID2, and its own slot takes the first GiB), got ${formatSize(memoryBytes)}: use backend model for larger guests`);
  }
  const verify = requireBoolean('verify', o.verify, false);
  if (verify && memoryBytes > MAX_VERIFY_BYTES) {
    throw new RangeError(`memory must be at most 1GiB with verify (it keeps page contents and a host mirror), got ${formatSize(memoryBytes)}: drop verify for tracking only`);
  }
  const dirtyRate = resolveDirtyRate(o, { memoryBytes, pages, verify });
  const contents = verify || dirtyRate.dirtyRate || requireBoolean('contents', o.contents, false);
  if (contents && memoryBytes > MAX_VERIFY_BYTES) {
    throw new RangeError(`memory must be at most 1GiB with contents (every page is kept in the shared arena), got ${formatSize(memoryBytes)}: use 1GiB or less`);
  }
  const pml = requireBoolean('pml', o.pml, false);
  if (o.ringEntries !== undefined && !mode.usesRing) {
    throw new RangeError(`ringEntries applies to strategies with dirty rings, not to ${mode.name}: drop it, or use strategy ring`);
  }
  const ringEntries = mode.usesRing ? requireInteger('ringEntries', o.ringEntries ?? 4096, 1, 2 ** 20) : 0;
  if (mode.usesRing) dirtyRingSize(ringEntries, pml); // KVM's sizing rules, with their messages
  if (o.ringProtocol !== undefined && !mode.usesRing) {
    throw new RangeError(`ringProtocol applies to strategies with dirty rings, not to ${mode.name}: drop it, or use strategy ring`);
  }
  const ringProtocol = mode.usesRing ? requireOneOf('ringProtocol', o.ringProtocol, RING_PROTOCOLS, 'flags') : undefined;
  const pattern = requireOneOf('pattern', o.pattern, PATTERNS, 'random');
  if (pattern === 'memstress' && pages < vcpus) throw new RangeError(`memory must hold at least one page per vCPU for memstress (each vCPU writes its own region), got ${pages} pages for ${vcpus} vCPUs`);
  const seconds = requirePositive('seconds', o.seconds ?? 1, 86_400);
  const zipfExponent = requirePositive('zipfExponent', o.zipfExponent ?? 1.1, 10, '1.1 is typical');
  const hotPages = requireInteger('hotPages', o.hotPages ?? Math.min(pages, 4096), 1, Math.min(pages, 2 ** 24));
  const clearChunkPages = requireInteger('clearChunkPages', o.clearChunkPages ?? 2 ** 18, 64, 2 ** 31);
  if (clearChunkPages % 64 !== 0) throw new RangeError(`clearChunkPages must be a multiple of 64 (KVM_CLEAR_DIRTY_LOG's alignment), got ${clearChunkPages}`);
  const dirtyLimit = resolveDirtyLimit(o, mode);
  const brokenCollector = o.brokenCollector === undefined ? undefined : requireOneOf('brokenCollector', o.brokenCollector, BROKEN_COLLECTORS);
  if (brokenCollector) breakMode(mode, brokenCollector, backend); // refuses a mistake the mode (or backend) cannot make
  if (kvm) runArea(vcpus, verify ? pages : 0, pattern === 'zipf' ? hotPages : 0); // the guests' own bookkeeping must fit their slot
  const inject = resolveInject(o.inject, vcpus);
  if (inject?.guestBatchWrites !== undefined && !kvm) throw new RangeError('inject.guestBatchWrites applies to backend kvm (the model\'s vCPUs write in slices already): drop it');
  // The arena must fit Wasm32: find out now, not after the threads started.
  planArena({ maxVcpus: vcpus + (deviceWriter ? 1 : 0), ringEntries, slots: [{ pages, contents }], scratchBytes: 0, pml, zipfRanks: pattern === 'zipf' ? hotPages : 0 });
  const resolved: ResolvedRunOptions = {
    strategy: mode.name,
    backend,
    arch: mode.vmOptions({ ringEntries, pml }).arch ?? 'x86',
    engine,
    vcpus,
    memoryBytes,
    pages,
    ringEntries,
    ringProtocol,
    pml,
    pattern,
    seed: requireInteger('seed', o.seed ?? 1, -(2 ** 31), 2 ** 32 - 1),
    stride: requireInteger('stride', o.stride ?? 17, 1, 2 ** 31),
    zipfExponent,
    hotPages,
    writeRate: requireInteger('writeRate', o.writeRate ?? 0, 0, 1e10),
    ...dirtyLimit,
    seconds,
    iterations: o.iterations === undefined ? Number.POSITIVE_INFINITY : requireInteger('iterations', o.iterations, 1, 1e6),
    intervalMs: requireInteger('intervalMs', o.intervalMs ?? 100, 2, 60_000),
    minWrites: requireInteger('minWrites', o.minWrites ?? 256, 0, 1e9),
    verify,
    ...dirtyRate,
    contents,
    reapIntervalMs: requireInteger('reapIntervalMs', o.reapIntervalMs ?? 1000, 0, 3_600_000),
    clearChunkPages,
    sliceWrites: requireInteger('sliceWrites', o.sliceWrites ?? (kvm ? KVM_SLICE_WRITES : 1024), 1, 2 ** 27),
    vcpusPerThread: kvm ? 1 : requireInteger('vcpusPerThread', o.vcpusPerThread ?? Math.ceil(vcpus / THREADS_BY_DEFAULT), 1, vcpus, 'at most the number of vCPUs'),
    deviceWriter,
    timeouts: resolveTimeouts(o.timeouts),
    brokenCollector,
    inject,
    faultCostNs: requireNumber('faultCostNs', o.faultCostNs ?? 0, 0, MAX_COST_NS, 'nanoseconds per logged page; dirtylog bench kvm --calibrate prints this host\'s'),
    resetCostNs: requireNumber('resetCostNs', o.resetCostNs ?? 0, 0, MAX_COST_NS, 'nanoseconds per reset entry; dirtylog bench kvm --calibrate prints this host\'s'),
  };
  return { options: resolved, mode, signal };
}

/**
 * What the kvm backend cannot do, refused by name with the reason before anything starts.
 * ring-with-bitmap is arm64's: this host's KVM is x86-64 and gives EINVAL.
 */
function refuseOnKvm(o: Record<string, unknown>, mode: TrackingMode): void {
  const arch = mode.vmOptions({ ringEntries: 4096, pml: false }).arch ?? 'x86';
  if (arch !== 'x86') {
    throw new RangeError(`strategy ${mode.name} needs KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP, which only arm64's KVM has; this host's KVM is x86-64 (the capability reads 0 and enabling it gives EINVAL): use backend model, which models arm64, or strategy ring, bitmap or clear-log`);
  }
  const modelOnly: [string, string][] = [
    ['pml', 'this host has no Intel PML (the ring reserves 64 entries, not 64 + 512)'],
    ['faultCostNs', 'the kvm backend pays the kernel\'s own fault cost'],
    ['resetCostNs', 'the kvm backend pays the kernel\'s own reset cost'],
    ['dirtyLimit', 'the kvm backend\'s vCPU threads do not hold a vCPU after its full exits'],
    ['dirtyRate', 'calc-dirty-rate hashes and stamps the model\'s page contents'],
  ];
  for (const [key, why] of modelOnly) {
    if (o[key] !== undefined && o[key] !== false && o[key] !== 0) throw new RangeError(`${key} is the model's, not the kvm backend's: ${why}: drop ${key}, or use backend model`);
  }
  if (o.ringProtocol !== undefined && o.ringProtocol !== 'flags') {
    throw new RangeError(`ringProtocol must be flags with backend kvm (the kernel speaks per-entry flags; shared indices were its RFC v1-v3, never merged), got ${describe(o.ringProtocol)}: drop ringProtocol, or use backend model`);
  }
  if (o.vcpusPerThread !== undefined && o.vcpusPerThread !== 1) {
    throw new RangeError(`vcpusPerThread must be 1 with backend kvm (KVM_RUN blocks its thread, so each vCPU has one), got ${describe(o.vcpusPerThread)}: drop vcpusPerThread`);
  }
}

/**
 * calc-dirty-rate hashes page contents (page-sampling) and counts the truth from the pages'
 * stamps, so it keeps contents, as verify does; it measures whole iterations, which verify's
 * collection while running would cut in two.
 */
function resolveDirtyRate(o: Record<string, unknown>, g: { memoryBytes: number; pages: number; verify: boolean }): { dirtyRate: boolean; samplePages: number } {
  const dirtyRate = requireBoolean('dirtyRate', o.dirtyRate, false);
  if (o.samplePages !== undefined && !dirtyRate) throw new RangeError('samplePages applies only with dirtyRate (page-sampling): set dirtyRate too, or drop it');
  const samplePages = requireInteger('samplePages', o.samplePages ?? DIRTYRATE_DEFAULT_SAMPLE_PAGES, MIN_SAMPLE_PAGE_COUNT, MAX_SAMPLE_PAGE_COUNT, "QEMU's sample-pages range, per GiB");
  if (!dirtyRate) return { dirtyRate, samplePages };
  if (g.verify) throw new RangeError('dirtyRate measures whole iterations, and verify collects in the middle of each: drop one of them');
  if (g.memoryBytes > MAX_VERIFY_BYTES) {
    throw new RangeError(`memory must be at most 1GiB with dirtyRate (page-sampling hashes page contents), got ${formatSize(g.memoryBytes)}: use 1GiB or less`);
  }
  if (sampleCount(g.pages, samplePages) === 0) {
    throw new RangeError(`samplePages must sample at least one page of the guest (QEMU samples size x sample-pages / 1 GiB pages), got ${samplePages} per GiB of ${formatSize(g.memoryBytes)}: raise samplePages or memory`);
  }
  return { dirtyRate, samplePages };
}

/**
 * The dirty limit needs rings: QEMU's holds a vCPU on its ring-full exits, and refuses
 * set-vcpu-dirty-limit without dirty-ring-size. A bitmap has no exit to hold a vCPU on.
 */
function resolveDirtyLimit(o: Record<string, unknown>, mode: TrackingMode): { dirtyLimit: number; dirtyLimitPeriodMs: number } {
  const dirtyLimit = requireInteger('dirtyLimit', o.dirtyLimit ?? 0, 0, 1e9, 'dirty pages per second per vCPU, 0 for none');
  if (dirtyLimit > 0 && !mode.usesRing) {
    throw new RangeError(`dirtyLimit needs a dirty ring (QEMU holds a vCPU on its ring-full exits, and refuses a dirty limit without dirty-ring-size), got strategy ${mode.name}: use strategy ring, or writeRate to cap the guest's writes`);
  }
  if (o.dirtyLimitPeriodMs !== undefined && dirtyLimit === 0) throw new RangeError('dirtyLimitPeriodMs applies only with a dirtyLimit: set dirtyLimit too, or drop it');
  return { dirtyLimit, dirtyLimitPeriodMs: requireInteger('dirtyLimitPeriodMs', o.dirtyLimitPeriodMs ?? 1000, 1, 1000, "QEMU's x-vcpu-dirty-limit-period range") };
}

function guestSize(memory: unknown): { memoryBytes: number; pages: number } {
  const memoryBytes = parseSize('memory', memory ?? '64MiB');
  if (memoryBytes % ABI.PAGE_SIZE !== 0) throw new RangeError(`memory must be a whole number of 4 KiB pages, got ${memoryBytes} bytes`);
  const pages = memoryBytes / ABI.PAGE_SIZE;
  if (pages > KVM_MEM_MAX_NR_PAGES) {
    throw new RangeError(`memory must be less than 8 TiB (one memslot holds at most 2^31 - 1 pages), got ${formatSize(memoryBytes)}: use 8191GiB or less`);
  }
  return { memoryBytes, pages };
}

function resolveTimeouts(value: unknown): ResolvedRunOptions['timeouts'] {
  const t = requireObject('timeouts', value);
  rejectUnknownKeys('timeouts', t, TIMEOUT_KEYS);
  const ms = (k: string, d: number) => requireInteger(`timeouts.${k}`, t[k] ?? d, 10, 3_600_000);
  return { startMs: ms('startMs', 20_000), kickMs: ms('kickMs', 10_000), fullWaitMs: ms('fullWaitMs', 10_000), pauseMs: ms('pauseMs', 30_000), stopMs: ms('stopMs', 10_000) };
}

function resolveInject(value: unknown, vcpus: number): Inject | undefined {
  if (value === undefined) return undefined;
  const i = requireObject('inject', value);
  rejectUnknownKeys('inject', i, INJECT_KEYS);
  const afterSlices = (name: string, v: unknown, withHow: boolean) => {
    if (v === undefined) return undefined;
    const o = requireObject(name, v);
    rejectUnknownKeys(name, o, withHow ? ['vcpu', 'slices', 'how', 'fromIteration'] : ['vcpu', 'slices']);
    return {
      vcpu: requireInteger(`${name}.vcpu`, o.vcpu, 0, vcpus - 1),
      slices: requireInteger(`${name}.slices`, o.slices, 1, 1e9),
      ...(withHow ? { how: requireOneOf(`${name}.how`, o.how, ['throw', 'exit'] as const, 'throw') } : {}),
      ...(withHow && o.fromIteration !== undefined ? { fromIteration: requireInteger(`${name}.fromIteration`, o.fromIteration, 1, 1e9) } : {}),
    };
  };
  const fails = afterSlices('inject.vcpuFailsAfterSlices', i.vcpuFailsAfterSlices, true);
  const hangs = afterSlices('inject.vcpuHangsAfterSlices', i.vcpuHangsAfterSlices, false);
  return {
    ...(fails ? { vcpuFailsAfterSlices: fails } : {}),
    ...(hangs ? { vcpuHangsAfterSlices: hangs } : {}),
    ...(i.collectorFailsOnSync !== undefined ? { collectorFailsOnSync: requireInteger('inject.collectorFailsOnSync', i.collectorFailsOnSync, 1, 1e9) } : {}),
    ...(requireBoolean('inject.collectorHangs', i.collectorHangs, false) ? { collectorHangs: true } : {}),
    ...(requireBoolean('inject.pauseBeforeFirstRearm', i.pauseBeforeFirstRearm, false) ? { pauseBeforeFirstRearm: true } : {}),
    ...(i.guestBatchWrites !== undefined ? { guestBatchWrites: requireInteger('inject.guestBatchWrites', i.guestBatchWrites, 1, 2 ** 31) } : {}),
  };
}
