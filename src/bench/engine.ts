/**
 * Micro-benchmarks of the engine's kernels, wasm and js side by side in the same run.
 *
 * Method. Each kernel is an engine export called directly (no API glue), timed by tinybench
 * with per-iteration setup in beforeEach/afterEach, outside the timed window. Fixtures come
 * from a seeded PRNG. Warm-up: tinybench's warm-up iterations run first, so the js engine is
 * JIT-compiled and the wasm engine tiered up before any sample counts. Both engines run one
 * after the other on one thread, kernel by kernel, so a noisy neighbour hits both alike;
 * compare the ratio of medians, not absolute times across runs.
 *
 * Ring kernels move one full ring (65,472 entries, the soft limit of a 65,536-entry ring)
 * per iteration with offsets spread over the guest; a ring entry costs the same whatever the
 * dirty density, so density is not swept for them. Bitmap kernels are swept over guest size
 * and dirty density; `mark` (the write fault into the dirty bitmap) takes at most 1 Mi random
 * pages per iteration and reports per page.
 */
import { Bench, type Task } from 'tinybench';
import type { Arena } from '../kvm/arena.ts';
import { clearDirtyLogInPlace, getDirtyLog } from '../kvm/dirty-log.ts';
import { harvestDirtyRing, resetDirtyRings } from '../kvm/dirty-ring.ts';
import { createVm, type Vm } from '../kvm/vm.ts';
import type { EngineKind } from '../engine/exports.ts';
import type { RingProtocol } from '../kvm/ring-protocol.ts';
import { ENGINE_KINDS } from '../engine/exports.ts';
import { machineInfo, type MachineInfo } from './machine.ts';
import { prng } from '../prng.ts';
import { summarize, type Summary } from './stats.ts';

export const GUESTS = [
  { name: '1GiB', pages: 2 ** 18 },
  { name: '16GiB', pages: 2 ** 22 },
  { name: '256GiB', pages: 2 ** 26 },
  { name: '1TiB', pages: 2 ** 28 },
] as const;
export const DENSITIES = [0.0001, 0.01, 0.5] as const;
export const RING_KERNELS = ['push', 'harvest', 'reset-seq', 'reset-random', 'reset-desc'] as const;
export const BITMAP_KERNELS = ['mark', 'get', 'clear'] as const;
export const KERNELS = [...RING_KERNELS, ...BITMAP_KERNELS] as const;
export type Kernel = (typeof KERNELS)[number];

const RING_ENTRIES = 65536;
const RING_BATCH = RING_ENTRIES - 64;
const MAX_MARKS = 1 << 20;

export interface EngineBenchOptions {
  /** Longer sampling (about 10x). @default false */
  readonly full?: boolean;
  readonly guests?: readonly string[];
  readonly densities?: readonly number[];
  readonly kernels?: readonly Kernel[];
  readonly seed?: number;
  readonly signal?: AbortSignal;
  /** Called as each row completes, for progress output. */
  readonly onRow?: (row: BenchRow) => void;
}

export interface BenchRow {
  readonly kernel: Kernel;
  readonly guest: string;
  readonly pages: number;
  /** Dirty density for bitmap kernels; null for ring kernels. */
  readonly density: number | null;
  /** Entries or pages processed per timed iteration. */
  readonly items: number;
  readonly unit: 'ns/entry' | 'ns/page' | 'ms/call';
  readonly wasm: Summary;
  readonly js: Summary;
  /** js median / wasm median: how many times faster the wasm engine is. */
  readonly ratio: number;
}

export interface EngineBenchReport {
  readonly kind: 'engine-bench';
  readonly date: string;
  readonly machine: MachineInfo;
  readonly method: EngineBenchMethod;
  readonly rows: readonly BenchRow[];
  /** The signal stopped the run: `rows` holds the rows that finished, and no more. */
  readonly interrupted: boolean;
}

export interface EngineBenchMethod { readonly timeMs: number; readonly minIterations: number; readonly warmupIterations: number; readonly seed: number }

export function engineBenchMethod(options: Pick<EngineBenchOptions, 'full' | 'seed'> = {}): EngineBenchMethod {
  const seed = options.seed ?? 0x5eed;
  return options.full
    ? { timeMs: 1000, minIterations: 20, warmupIterations: 5, seed }
    : { timeMs: 60, minIterations: 4, warmupIterations: 2, seed };
}

interface Hooks {
  fn: () => void;
  beforeAll?: () => void;
  beforeEach?: () => void;
  afterEach?: () => void;
}

export interface Case {
  kernel: Kernel;
  density: number | null;
  items: number;
  unit: BenchRow['unit'];
  /** Build the timed function and its hooks over one engine's VM. */
  setup(vm: Vm): Hooks;
}


export async function runEngineBench(options: EngineBenchOptions = {}): Promise<EngineBenchReport> {
  const method = engineBenchMethod(options);
  const guests = GUESTS.filter((g) => !options.guests || options.guests.includes(g.name));
  const densities = options.densities ?? DENSITIES;
  const kernels = options.kernels ?? KERNELS;
  const { signal } = options;
  const rows: BenchRow[] = [];
  const report = () => ({ kind: 'engine-bench', date: new Date().toISOString(), machine: machineInfo(), method, rows, interrupted: signal?.aborted ?? false }) as const;
  for (const guest of guests) {
    // Fixtures of a large guest take a while to draw: let a pending Ctrl-C in first.
    if (await interrupted(signal)) return report();
    const cases = casesFor(guest.pages, kernels, densities, method.seed);
    const ringCases = cases.filter((c) => c.density === null);
    const bitmapCases = cases.filter((c) => c.density !== null);
    for (const [group, ring] of [[ringCases, true], [bitmapCases, false]] as const) {
      if (!group.length) continue;
      // One VM per engine per group, built once and shared by the group's kernels.
      const vms = new Map<EngineKind, Vm>();
      for (const engine of ENGINE_KINDS) vms.set(engine, await fixtureVm(engine, guest.pages, ring));
      for (const c of group) {
        const stats = new Map<EngineKind, Summary>();
        for (const engine of ENGINE_KINDS) {
          const summary = await measure(c, vms.get(engine)!, method, signal);
          if (!summary) return report(); // a row measured for one engine only is no row
          stats.set(engine, summary);
        }
        const wasm = stats.get('wasm')!;
        const js = stats.get('js')!;
        const row: BenchRow = { kernel: c.kernel, guest: guest.name, pages: guest.pages, density: c.density, items: c.items, unit: c.unit, wasm, js, ratio: js.median / wasm.median };
        rows.push(row);
        options.onRow?.(row);
      }
    }
  }
  return report();
}

/**
 * Signals reach JavaScript only when the event loop turns, and a chain of synchronous kernels
 * and resolved promises never lets it: Ctrl-C would wait for the whole benchmark. This turns
 * the loop once (setImmediate runs after the poll phase that delivers signals) and says
 * whether the signal has fired.
 */
async function interrupted(signal: AbortSignal | undefined): Promise<boolean> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  return signal?.aborted ?? false;
}

/** Between timed iterations, a turn of the event loop at most this often: Ctrl-C stops within about this long plus one call. */
const SIGNAL_CHECK_MS = 50;

export async function fixtureVm(engine: EngineKind, pages: number, ring: boolean, ringProtocol: RingProtocol = 'flags'): Promise<Vm> {
  return createVm({
    engine,
    ringProtocol,
    dirtyRing: ring ? { entries: RING_ENTRIES } : undefined,
    slots: [{ pages }],
    vcpus: 1,
    scratchBytes: 4 * Math.max(RING_BATCH, MAX_MARKS),
  });
}

/** One kernel on one engine; undefined when the signal stopped it. */
export async function measure(c: Case, vm: Vm, method: EngineBenchMethod, signal?: AbortSignal): Promise<Summary | undefined> {
  if (signal?.aborted) return undefined;
  // tinybench adds an abort listener per Bench and per task and never removes them: give it a
  // signal of its own, so the caller's does not collect dozens (MaxListenersExceededWarning).
  const local = new AbortController();
  const forward = () => local.abort(signal?.reason);
  signal?.addEventListener('abort', forward, { once: true });
  const bench = new Bench({
    time: method.timeMs,
    iterations: method.minIterations,
    warmupIterations: method.warmupIterations,
    warmupTime: 0,
    retainSamples: true,
    throws: true,
    signal: local.signal,
  });
  const { fn, beforeAll, beforeEach, afterEach } = c.setup(vm);
  let lastTurn = performance.now();
  // Outside the timed window, and right before the iteration's own setup as before.
  const letSignalsIn = (): Promise<void> | void => {
    if (performance.now() - lastTurn < SIGNAL_CHECK_MS) return beforeEach?.();
    return interrupted(signal).then(() => {
      lastTurn = performance.now();
      beforeEach?.();
    });
  };
  bench.add(c.kernel, fn, {
    ...(beforeAll ? { beforeAll } : {}),
    beforeEach: letSignalsIn,
    ...(afterEach ? { afterEach } : {}),
  });
  try {
    await bench.run();
  } finally {
    signal?.removeEventListener('abort', forward);
  }
  const task: Task = bench.tasks[0]!;
  const result = task.result;
  if (local.signal.aborted) return undefined;
  if (result.state !== 'completed') throw new Error(`benchmark ${c.kernel} did not complete: ${result.state}`);
  const samples = result.latency.samples ?? [];
  const scale = c.unit === 'ms/call' ? 1 : 1e6 / c.items;
  return summarize(samples.map((ms) => ms * scale));
}

/**
 * The fixtures every kernel is timed on, drawn from one seeded PRNG in one order: the ring
 * kernels' page lists (sequential, random, descending) and, per density, a dirty bitmap and
 * the pages `mark` writes. bench/c builds its C inputs from this same function.
 */
export function benchFixtures(pages: number, densities: readonly number[], seed: number) {
  const rand = prng(seed ^ pages);
  const n = Math.min(RING_BATCH, pages);
  const base = Math.floor(rand() * (pages - n));
  const seq = Uint32Array.from({ length: n }, (_, i) => base + i);
  const random = Uint32Array.from({ length: n }, () => Math.floor(rand() * pages));
  const desc = seq.slice().reverse();
  const bitmaps = densities.map((density) => {
    const template = bitmapAtDensity(pages, density, rand);
    const marks = Math.max(1, Math.min(MAX_MARKS, Math.round(pages * density)));
    const markList = Uint32Array.from({ length: marks }, () => Math.floor(rand() * pages));
    return { density, template, markList };
  });
  return { n, seq, random, desc, bitmaps };
}

export function casesFor(pages: number, kernels: readonly Kernel[], densities: readonly number[], seed: number): Case[] {
  const cases: Case[] = [];
  const want = (k: Kernel) => kernels.includes(k);
  const { n, seq, random, desc, bitmaps } = benchFixtures(pages, densities, seed);
  // Ring kernels on vCPU 0 of the fixture VM, through the KVM verbs (one ring's worth each).
  const ringCase = (kernel: Kernel, list: Uint32Array, body: (a: Arena, push: () => void) => Hooks): Case => ({
    kernel,
    density: null,
    items: n,
    unit: 'ns/entry',
    setup: (vm) => {
      const a = vm.arena;
      const push = () => void a.engine.dirtyRingPushBatch(vm.vcpus[0]!.ctl, 0, a.plan.scratch, n);
      return { ...body(a, push), beforeAll: () => a.u32.set(list, a.plan.scratch >>> 2) };
    },
  });
  if (want('push')) {
    cases.push(ringCase('push', random, (a, push) => ({
      fn: push,
      afterEach: () => { harvestDirtyRing(a, 0, n); resetDirtyRings(a, [0]); },
    })));
  }
  if (want('harvest')) {
    cases.push(ringCase('harvest', random, (a, push) => ({
      fn: () => harvestDirtyRing(a, 0, n),
      beforeEach: push,
      afterEach: () => resetDirtyRings(a, [0]),
    })));
  }
  for (const [kernel, list] of [['reset-seq', seq], ['reset-random', random], ['reset-desc', desc]] as const) {
    if (!want(kernel)) continue;
    cases.push(ringCase(kernel, list, (a, push) => ({
      fn: () => resetDirtyRings(a, [0]),
      beforeEach: () => { push(); harvestDirtyRing(a, 0, n); },
    })));
  }
  for (const { density, template, markList } of bitmaps) {
    const marks = markList.length;
    const slotOf = (vm: Vm) => ({ desc: vm.slot(0).desc, r: vm.arena.plan.slots[0]!, ...vm.arena });
    if (want('mark')) {
      cases.push({ kernel: 'mark', density, items: marks, unit: 'ns/page', setup: (vm) => {
        const { desc, r, engine, u32, plan } = slotOf(vm);
        const v = vm.vcpus[0]!.ctl;
        return {
          beforeAll: () => u32.set(markList, plan.scratch >>> 2),
          fn: () => engine.faultWriteBatch(v, desc, plan.scratch, marks),
          afterEach: () => { engine.bitmapFill(r.armed, pages, true); engine.bitmapFill(r.dirty, pages, false); },
        };
      } });
    }
    if (want('get')) {
      cases.push({ kernel: 'get', density, items: 1, unit: 'ms/call', setup: (vm) => {
        const { r, u8 } = slotOf(vm);
        return { beforeEach: () => u8.set(template, r.dirty), fn: () => getDirtyLog(vm.arena, 0, false) };
      } });
    }
    if (want('clear')) {
      cases.push({ kernel: 'clear', density, items: 1, unit: 'ms/call', setup: (vm) => {
        const { r, u8 } = slotOf(vm);
        return {
          beforeEach: () => { u8.set(template, r.dirty); u8.set(template, r.clearArg); },
          fn: () => clearDirtyLogInPlace(vm.arena, 0, 0, pages),
        };
      } });
    }
  }
  return cases;
}

/** A KVM dirty bitmap of `pages` pages with about `density` of them set (also bench/c's fixture). */
export function bitmapAtDensity(pages: number, density: number, rand: () => number): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(pages / 64) * 8);
  if (density >= 0.5) {
    const words = new Uint32Array(bytes.buffer);
    for (let i = 0; i < words.length; i++) words[i] = Math.floor(rand() * 2 ** 32);
  } else {
    const count = Math.round(pages * density);
    for (let i = 0; i < count; i++) {
      const p = Math.floor(rand() * pages);
      bytes[p >>> 3]! |= 1 << (p & 7);
    }
  }
  // Bits past the slot end must stay clear, as in KVM.
  for (let p = pages; p < bytes.length * 8; p++) bytes[p >>> 3]! &= ~(1 << (p & 7));
  return bytes;
}
