/** Options of a run, validated up front: a bad one names itself and the fix before any thread starts. */
import { ENGINE_KINDS, type EngineKind } from '../engine/exports.ts';
import { describe, rejectUnknownKeys, requireBoolean, requireInteger, requireObject } from '../validate.ts';
import { dirtyRingSize } from '../kvm/dirty-ring-size.ts';
import { ABI, KVM_MEM_MAX_NR_PAGES } from '../layout.ts';
import { STRATEGIES, type BrokenCollector, type Strategy } from '../threads/protocol.ts';
import { checkPattern, type Pattern } from '../vcpu/workload.ts';
import { parseSize } from './size.ts';

export interface RunOptions {
  /** How the collector learns which pages were written. */
  readonly strategy: Strategy;
  /** @default 'wasm' */
  readonly engine?: EngineKind;
  /** vCPU threads. @default 2 */
  readonly vcpus?: number;
  /** Guest memory, e.g. '64MiB', '1GiB', '16TiB' (tracking only above a few GiB). @default '64MiB' */
  readonly memory?: string | number;
  /** Ring entries per vCPU (ring strategies). @default 4096 */
  readonly ringEntries?: number;
  /** Intel PML: writes reach the ring or bitmap at exits; the ring reserves 512 more. @default false */
  readonly pml?: boolean;
  /** @default 'random' */
  readonly pattern?: Pattern;
  /** Workload seed; the same seed repeats the same page sequences. @default 1 */
  readonly seed?: number;
  readonly stride?: number;
  readonly zipfExponent?: number;
  readonly hotPages?: number;
  /** Guest writes per second per vCPU, 0 = unlimited. @default 0 */
  readonly writeRate?: number;
  /** Wall-clock length of the run. @default 1 */
  readonly seconds?: number;
  /** Stop after this many iterations instead (whichever comes first with seconds). */
  readonly iterations?: number;
  /** Length of one iteration: run, collect while running, stop, collect, verify. @default 100 */
  readonly intervalMs?: number;
  /** Each iteration runs at least this many guest writes (dirty_log_test: 256). @default 256 */
  readonly minWrites?: number;
  /** Stamp pages, check every page after every iteration, and compare the host mirror. @default false */
  readonly verify?: boolean;
  /** QEMU's reaper period: ring strategies reap at least this often; 0 = reap continuously. @default 1000 */
  readonly reapIntervalMs?: number;
  /** clear-log: pages per KVM_CLEAR_DIRTY_LOG (QEMU's clear chunk: 1 GiB). @default 262144 */
  readonly clearChunkPages?: number;
  /** Guest writes per slice: how often a vCPU looks at kicks, pauses and stops. @default 1024 */
  readonly sliceWrites?: number;
  /** ring-with-bitmap: run a vCPU-less device writer thread too. @default true for ring-with-bitmap */
  readonly deviceWriter?: boolean;
  /** Bounded waits; a timeout ends the run with an error naming the thread. */
  readonly timeouts?: { readonly startMs?: number; readonly kickMs?: number; readonly fullWaitMs?: number; readonly pauseMs?: number; readonly stopMs?: number };
  readonly signal?: AbortSignal;
  /** Demonstration and testing: a deliberately broken collector the verifier must catch. */
  readonly brokenCollector?: BrokenCollector;
  /** Testing: make a vCPU thread or the collector fail, to exercise failure handling. */
  readonly inject?: {
    /** The vCPU throws (`throw`) or its thread exits (`exit`) after this many slices. */
    readonly vcpuFailsAfterSlices?: { readonly vcpu: number; readonly slices: number; readonly how?: 'throw' | 'exit' };
    readonly collectorFailsOnSync?: number;
    /** Force the interleaving of CollectorWorkerData.pauseBeforeFirstReset. */
    readonly pauseBeforeFirstReset?: boolean;
  };
}

export interface ResolvedRunOptions {
  readonly strategy: Strategy;
  readonly engine: EngineKind;
  readonly vcpus: number;
  readonly memoryBytes: number;
  readonly pages: number;
  readonly ringEntries: number;
  readonly pml: boolean;
  readonly pattern: Pattern;
  readonly seed: number;
  readonly stride: number;
  readonly zipfExponent: number;
  readonly hotPages: number;
  readonly writeRate: number;
  readonly seconds: number;
  readonly iterations: number;
  readonly intervalMs: number;
  readonly minWrites: number;
  readonly verify: boolean;
  readonly reapIntervalMs: number;
  readonly clearChunkPages: number;
  readonly sliceWrites: number;
  readonly deviceWriter: boolean;
  readonly timeouts: { readonly startMs: number; readonly kickMs: number; readonly fullWaitMs: number; readonly pauseMs: number; readonly stopMs: number };
  readonly brokenCollector: BrokenCollector | undefined;
  readonly inject: RunOptions['inject'];
}

const KEYS = [
  'strategy', 'engine', 'vcpus', 'memory', 'ringEntries', 'pml', 'pattern', 'seed', 'stride', 'zipfExponent', 'hotPages',
  'writeRate', 'seconds', 'iterations', 'intervalMs', 'minWrites', 'verify', 'reapIntervalMs', 'clearChunkPages',
  'sliceWrites', 'deviceWriter', 'timeouts', 'signal', 'brokenCollector', 'inject',
];
const BROKEN: readonly BrokenCollector[] = ['drop-entries', 'never-rearm', 'read-before-reset'];
/** Content mode keeps guest pages and a host mirror: both must fit in memory. */
const MAX_VERIFY_BYTES = 2 ** 30;

export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  const o = requireObject('options', options);
  rejectUnknownKeys('options', o, KEYS);
  if (!STRATEGIES.includes(o.strategy as Strategy)) {
    throw new TypeError(`strategy must be one of ${STRATEGIES.join(', ')}, got ${describe(o.strategy)}`);
  }
  const strategy = o.strategy as Strategy;
  const engine = (o.engine ?? 'wasm') as EngineKind;
  if (!ENGINE_KINDS.includes(engine)) throw new TypeError(`engine must be one of ${ENGINE_KINDS.join(', ')}, got ${describe(o.engine)}`);
  const vcpus = requireInteger('vcpus', o.vcpus ?? 2, 1, 256);
  const memoryBytes = parseSize('memory', o.memory ?? '64MiB');
  if (memoryBytes % ABI.PAGE_SIZE !== 0) throw new RangeError(`memory must be a whole number of 4 KiB pages, got ${memoryBytes} bytes`);
  const pages = memoryBytes / ABI.PAGE_SIZE;
  if (pages > KVM_MEM_MAX_NR_PAGES) throw new RangeError(`memory must be below 8 TiB per run (one memslot of at most 2^31 - 1 pages), got ${describe(o.memory)}`);
  const verify = requireBoolean('verify', o.verify, false);
  if (verify && memoryBytes > MAX_VERIFY_BYTES) {
    throw new RangeError(`verify keeps page contents and a host mirror, so memory must be at most 1GiB with verify; got ${describe(o.memory)}: drop --verify for tracking only`);
  }
  const ringStrategy = strategy === 'ring' || strategy === 'ring-with-bitmap';
  const pml = requireBoolean('pml', o.pml, false);
  const ringEntries = requireInteger('ringEntries', o.ringEntries ?? 4096, 1, 2 ** 20);
  if (ringStrategy) dirtyRingSize(ringEntries, pml); // KVM's sizing rules, with their messages
  const pattern = checkPattern(o.pattern ?? 'random');
  if (pattern === 'memstress' && pages < vcpus) throw new RangeError(`memstress gives each vCPU its own region: memory needs at least ${vcpus} pages`);
  const seconds = o.seconds === undefined ? 1 : Number(o.seconds);
  if (!(seconds > 0 && seconds <= 24 * 3600)) throw new RangeError(`seconds must be between 0 and 86400, got ${describe(o.seconds)}`);
  const iterations = o.iterations === undefined ? Number.POSITIVE_INFINITY : requireInteger('iterations', o.iterations, 1, 1e6);
  const intervalMs = requireInteger('intervalMs', o.intervalMs ?? 100, 2, 60_000);
  const t = requireObject('timeouts', o.timeouts);
  rejectUnknownKeys('timeouts', t, ['startMs', 'kickMs', 'fullWaitMs', 'pauseMs', 'stopMs']);
  const ms = (k: string, d: number) => requireInteger(`timeouts.${k}`, t[k] ?? d, 10, 3_600_000);
  if (o.brokenCollector !== undefined && !BROKEN.includes(o.brokenCollector as BrokenCollector)) {
    throw new TypeError(`brokenCollector must be one of ${BROKEN.join(', ')}, got ${describe(o.brokenCollector)}`);
  }
  const clearChunkPages = requireInteger('clearChunkPages', o.clearChunkPages ?? 2 ** 18, 64, 2 ** 31);
  if (clearChunkPages % 64 !== 0) throw new RangeError(`clearChunkPages must be a multiple of 64 (KVM_CLEAR_DIRTY_LOG's alignment), got ${clearChunkPages}`);
  const deviceWriter = requireBoolean('deviceWriter', o.deviceWriter, strategy === 'ring-with-bitmap');
  if (deviceWriter && strategy !== 'ring-with-bitmap') {
    throw new RangeError(`deviceWriter needs strategy ring-with-bitmap (in pure ring mode KVM drops vCPU-less writes), got strategy ${strategy}`);
  }
  return {
    strategy,
    engine,
    vcpus,
    memoryBytes,
    pages,
    ringEntries,
    pml,
    pattern,
    seed: requireInteger('seed', o.seed ?? 1, -(2 ** 31), 2 ** 32 - 1),
    stride: requireInteger('stride', o.stride ?? 17, 1, 2 ** 31),
    zipfExponent: o.zipfExponent === undefined ? 1.1 : Number(o.zipfExponent),
    hotPages: requireInteger('hotPages', o.hotPages ?? Math.min(pages, 4096), 1, Math.min(pages, 2 ** 24)),
    writeRate: requireInteger('writeRate', o.writeRate ?? 0, 0, 1e10),
    seconds,
    iterations,
    intervalMs,
    minWrites: requireInteger('minWrites', o.minWrites ?? 256, 0, 1e9),
    verify,
    reapIntervalMs: requireInteger('reapIntervalMs', o.reapIntervalMs ?? 1000, 0, 3_600_000),
    clearChunkPages,
    sliceWrites: requireInteger('sliceWrites', o.sliceWrites ?? 1024, 1, 2 ** 27),
    deviceWriter,
    timeouts: { startMs: ms('startMs', 20_000), kickMs: ms('kickMs', 10_000), fullWaitMs: ms('fullWaitMs', 10_000), pauseMs: ms('pauseMs', 30_000), stopMs: ms('stopMs', 10_000) },
    brokenCollector: o.brokenCollector as BrokenCollector | undefined,
    inject: o.inject as RunOptions['inject'],
  };
}
