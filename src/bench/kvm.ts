/**
 * `dirtylog bench kvm`: what each dirty-tracking operation costs on this machine's real KVM,
 * next to what the same operation costs the engine (wasm), with the ratio. The numbers a model
 * needs to predict the kernel: `calibrate` turns them into faultCostNs and resetCostNs.
 *
 * Method. Both backends run the same thing the same way: the same workload from the same state
 * (the kvm backend's guest writes the model's pages in the model's order), the same slot and
 * ring sizes, timed by performance.now around one operation over many pages or entries, and
 * repeated `reps` times with fresh state between (median and range). The first pass over the
 * pages is never timed: it allocates the host's pages (MAP_NORESERVE) and faults them in, which
 * a run pays once and a benchmark of write protection must not count.
 *
 *   first write, ring     a sequential pass over PASS_PAGES pages write-protected by the last
 *                         KVM_RESET_DIRTY_RINGS: one fault and one ring push each
 *   first write, bitmap   the same with dirty bitmaps, protected by the last classic GET
 *   already dirty         the same pass again with no reset between: no fault
 *   harvest               userspace's collection of those entries from the ring (the run's
 *                         collector: into a harvest buffer, each handed back RESET)
 *   reset, sequential     KVM_RESET_DIRTY_RINGS of them (offsets in a row: batches of 64)
 *   reset, random         of PASS_PAGES random writes over 1 GiB (nothing to coalesce)
 *   GET, CLEAR            a 1 GiB slot with 0.01 % and 1 % of its pages dirty (random writes):
 *                         classic KVM_GET_DIRTY_LOG, and KVM_CLEAR_DIRTY_LOG of the whole slot
 *                         with manual protect after a copying GET
 * KVM_RUN's own entry and exit (tens of µs here) are spread over the pass: a few ns a write.
 */
import { loadavg } from 'node:os';
import { GuestRun } from '../backend/kvm/guest-run.ts';
import { loadLibc } from '../backend/kvm/libc.ts';
import type { EngineKind } from '../engine/exports.ts';
import { clearDirtyLog, dirtyLogSnapshot, getDirtyLog } from '../kvm/dirty-log.ts';
import { harvestDirtyRing, INT_MAX, resetDirtyRings } from '../kvm/dirty-ring.ts';
import { createVm, type CreateVmOptions } from '../kvm/vm.ts';
import { ABI } from '../layout.ts';
import { configureWorkload, workloadState, type Pattern } from '../vcpu/workload.ts';
import { machineInfo, type MachineInfo } from './machine.ts';
import { summarize, type Summary } from './stats.ts';

export const KVM_OPERATIONS = [
  'first-write-ring', 'first-write-bitmap', 'dirty-write', 'harvest', 'reset-seq', 'reset-random',
  'get-0.01%', 'get-1%', 'clear-0.01%', 'clear-1%',
] as const;
export type KvmOperation = (typeof KVM_OPERATIONS)[number];

const TITLES: Record<KvmOperation, string> = {
  'first-write-ring': 'first write to a write-protected page (ring)',
  'first-write-bitmap': 'first write to a write-protected page (bitmap)',
  'dirty-write': 'write to an already dirty page',
  harvest: 'userspace harvest, per entry',
  'reset-seq': 'KVM_RESET_DIRTY_RINGS, sequential offsets, per entry',
  'reset-random': 'KVM_RESET_DIRTY_RINGS, random offsets, per entry',
  'get-0.01%': 'KVM_GET_DIRTY_LOG, 1 GiB, 0.01 % dirty',
  'get-1%': 'KVM_GET_DIRTY_LOG, 1 GiB, 1 % dirty',
  'clear-0.01%': 'KVM_CLEAR_DIRTY_LOG, 1 GiB, 0.01 % dirty',
  'clear-1%': 'KVM_CLEAR_DIRTY_LOG, 1 GiB, 1 % dirty',
};

/** Pages of one timed pass: 64 MiB, a quarter of a 65536-entry ring's soft limit. */
export const PASS_PAGES = 16384;
const SLOT_PAGES = 2 ** 18; // 1 GiB
const RING_ENTRIES = 65536;
const SEED = 0x5eed;

export interface KvmBenchRow {
  readonly operation: KvmOperation;
  readonly title: string;
  /** 'ns/page', 'ns/entry' or 'µs/call': what one sample is. */
  readonly unit: 'ns/page' | 'ns/entry' | 'us/call';
  readonly kvm: Summary;
  readonly engine: Summary;
  /** kvm median / engine median. */
  readonly ratio: number;
}

export interface KernelCosts {
  /** Real KVM's first write to a protected page, less the engine's (ring mode). */
  readonly faultCostNs: number;
  /** Real KVM_RESET_DIRTY_RINGS per random-offset entry, less the engine's. */
  readonly resetCostNs: number;
}

export interface KvmBenchReport {
  readonly kind: 'kvm-bench';
  readonly date: string;
  readonly machine: MachineInfo;
  /** The 1-minute load average before and after: this machine is shared. */
  readonly load: { readonly before: number; readonly after: number };
  readonly method: { readonly reps: number; readonly passPages: number; readonly slotPages: number; readonly ringEntries: number; readonly engine: EngineKind };
  readonly rows: readonly KvmBenchRow[];
  /** Derived from the rows when both of its operations were measured. */
  readonly calibration: KernelCosts | undefined;
  readonly interrupted: boolean;
}

export interface KvmBenchOptions {
  /** Only these operations. @default all */
  readonly operations?: readonly KvmOperation[];
  /** Repetitions of each operation. @default 7 */
  readonly reps?: number;
  readonly engine?: EngineKind;
  readonly signal?: AbortSignal;
  readonly onRow?: (row: KvmBenchRow) => void;
}

/** The operations calibrate needs. */
export const CALIBRATION_OPERATIONS: readonly KvmOperation[] = ['first-write-ring', 'reset-random'];

/** This host's faultCostNs and resetCostNs: what the engine must add per logged page and per reset entry to cost what KVM does. */
export function kernelCosts(rows: readonly KvmBenchRow[]): KernelCosts | undefined {
  const by = (op: KvmOperation) => rows.find((r) => r.operation === op);
  const fault = by('first-write-ring');
  const reset = by('reset-random');
  if (!fault || !reset) return undefined;
  return {
    faultCostNs: Math.max(0, Math.round(fault.kvm.median - fault.engine.median)),
    resetCostNs: Math.max(0, Math.round(reset.kvm.median - reset.engine.median)),
  };
}

/** The report of the rows so far: what runKvmBench returns, and what a second Ctrl-C prints. */
export function kvmBenchReport(reps: number, engine: EngineKind, loadBefore: number, rows: readonly KvmBenchRow[], interrupted: boolean): KvmBenchReport {
  return {
    kind: 'kvm-bench', date: new Date().toISOString(), machine: machineInfo(), load: { before: loadBefore, after: loadavg()[0]! },
    method: { reps, passPages: PASS_PAGES, slotPages: SLOT_PAGES, ringEntries: RING_ENTRIES, engine }, rows: [...rows], calibration: kernelCosts(rows), interrupted,
  };
}

export async function runKvmBench(o: KvmBenchOptions = {}): Promise<KvmBenchReport> {
  const reps = o.reps ?? 7;
  const engine = o.engine ?? 'wasm';
  const want = new Set(o.operations ?? KVM_OPERATIONS);
  const before = loadavg()[0]!;
  const rows: KvmBenchRow[] = [];
  const report = (interrupted: boolean): KvmBenchReport => kvmBenchReport(reps, engine, before, rows, interrupted);
  const groups: [readonly KvmOperation[], (b: Backend) => Promise<Partial<Record<KvmOperation, number[]>>>][] = [
    [['first-write-ring', 'dirty-write', 'harvest', 'reset-seq'], (b) => ringPasses(b, reps)],
    [['reset-random'], (b) => randomResets(b, reps)],
    [['first-write-bitmap'], (b) => bitmapPasses(b, reps)],
    [['get-0.01%', 'get-1%'], (b) => dirtyLogCalls(b, reps, 'get')],
    [['clear-0.01%', 'clear-1%'], (b) => dirtyLogCalls(b, reps, 'clear')],
  ];
  for (const [ops, measure] of groups) {
    if (!ops.some((op) => want.has(op))) continue;
    if (await interrupted(o.signal)) return report(true);
    const kvm = await measure(await backend('kvm', engine));
    if (await interrupted(o.signal)) return report(true);
    const model = await measure(await backend('model', engine));
    for (const op of ops.filter((x) => want.has(x))) {
      const row = rowOf(op, kvm[op]!, model[op]!);
      rows.push(row);
      o.onRow?.(row);
    }
  }
  return report(false);
}

/** Let a pending Ctrl-C in (signals reach JavaScript only when the event loop turns). */
async function interrupted(signal: AbortSignal | undefined): Promise<boolean> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  return signal?.aborted ?? false;
}

function rowOf(operation: KvmOperation, kvm: number[], engine: number[]): KvmBenchRow {
  const unit = operation.startsWith('get') || operation.startsWith('clear') ? 'us/call' : operation === 'harvest' || operation.startsWith('reset') ? 'ns/entry' : 'ns/page';
  const k = summarize(kvm);
  const e = summarize(engine);
  return { operation, title: TITLES[operation], unit, kvm: k, engine: e, ratio: k.median / e.median };
}

/**
 * One backend, driven the same way on both: VMs made to order, a vCPU's workload set from the
 * model's configureWorkload, a pass of writes, and the dirty-log verbs, each timed alone.
 */
interface Backend {
  vm(options: CreateVmOptions): Promise<BenchVm>;
}

interface BenchVm {
  /** Point vCPU 0 at a fresh workload over [0, pages) of slot 0. */
  workload(pattern: Pattern, pages: number, seed: number): void;
  /** Exactly `n` writes of that workload (no ring may fill); returns their time in ms. */
  pass(n: number): number;
  harvest(): { n: number; ms: number };
  reset(): { n: number; ms: number };
  /** Classic GET, or the copying one with manual protect. */
  get(): number;
  /** CLEAR of the whole slot with what the last GET returned. */
  clear(): number;
  close(): void;
}

async function backend(kind: 'kvm' | 'model', engine: EngineKind): Promise<Backend> {
  const libc = kind === 'kvm' ? await loadLibc() : undefined;
  return {
    async vm(options) {
      const pages = options.slots![0]!.pages;
      // The model configures every workload; on kvm it is also the source of the guest's state.
      const model = await createVm({ ...options, engine, vcpus: 1 });
      const real = kind === 'kvm' ? await createVm({ ...options, backend: 'kvm', vcpus: 1 }) : undefined;
      const guest = real && new GuestRun(libc!, real.kvm.handle(), { vcpus: 1, slot: 0, truthPages: 0, zipfRanks: 0 });
      const cpu = guest?.cpu(0);
      const a = model.arena;
      const snapshot = new Uint8Array(Math.ceil(pages / 64) * 8);
      const timed = <T>(f: () => T): { value: T; ms: number } => {
        const t0 = performance.now();
        const value = f();
        return { value, ms: performance.now() - t0 };
      };
      return {
        workload(pattern, region, seed) {
          configureWorkload(a.vcpus[0]!, model.slot(0).desc, { start: 0, pages: region }, { pattern, seed }, { table: 0, ranks: 0 }, 0, 1);
          guest?.configure(0, workloadState(a.vcpus[0]!));
        },
        pass(n) {
          if (cpu) {
            guest!.gcb(0).set('LEFT', n);
            const t = timed(() => cpu.enter());
            if (t.value !== 'left' || guest!.gcb(0).get('LEFT') !== 0) throw new Error('bench kvm: a timed pass stopped early (a full ring?)');
            return t.ms;
          }
          const t = timed(() => a.engine.runSlice(a.plan.vcpuCtl[0]!, n, 0) >>> 0);
          if ((t.value & ((1 << ABI.SLICE_SHIFT) - 1)) !== n) throw new Error('bench kvm: a timed pass stopped early (a full ring?)');
          return t.ms;
        },
        harvest() {
          if (real) {
            const t = timed(() => real.kvm.harvestInto(0, a.u32, a.plan.harvestBufs[0]! >>> 2, RING_ENTRIES));
            return { n: t.value, ms: t.ms };
          }
          const t = timed(() => harvestDirtyRing(a, 0, RING_ENTRIES));
          return { n: t.value, ms: t.ms };
        },
        reset() {
          const t = timed(() => (real ? real.kvm.resetDirtyRings(INT_MAX, undefined) : resetDirtyRings(a, [0])));
          return { n: t.value, ms: t.ms };
        },
        get() {
          if (real) return timed(() => real.kvm.getDirtyLogInto(0, snapshot)).ms;
          const t = timed(() => getDirtyLog(a, 0, model.manualProtect));
          snapshot.set(dirtyLogSnapshot(a, 0));
          return t.ms;
        },
        clear() {
          if (real) return timed(() => real.kvm.clearDirtyLogFrom(0, 0, pages, snapshot)).ms;
          return timed(() => clearDirtyLog(a, 0, 0, pages, snapshot)).ms;
        },
        close() {
          cpu?.close();
          real?.close();
          model.close();
        },
      };
    },
  };
}

/** First writes, dirty writes, harvest and sequential reset, from one ring VM. */
async function ringPasses(b: Backend, reps: number): Promise<Partial<Record<KvmOperation, number[]>>> {
  const vm = await b.vm({ dirtyRing: { entries: RING_ENTRIES }, slots: [{ pages: SLOT_PAGES }], scratchBytes: 0 });
  const out = { 'first-write-ring': [] as number[], 'dirty-write': [] as number[], harvest: [] as number[], 'reset-seq': [] as number[] };
  try {
    vm.workload('sequential', PASS_PAGES, SEED);
    vm.pass(PASS_PAGES); // untimed: the host allocates the pages
    vm.harvest();
    vm.reset();
    for (let r = 0; r < reps; r++) {
      vm.workload('sequential', PASS_PAGES, SEED);
      out['first-write-ring'].push((vm.pass(PASS_PAGES) * 1e6) / PASS_PAGES);
      out['dirty-write'].push((vm.pass(PASS_PAGES) * 1e6) / PASS_PAGES);
      const h = vm.harvest();
      out.harvest.push((h.ms * 1e6) / h.n);
      const z = vm.reset();
      out['reset-seq'].push((z.ms * 1e6) / z.n);
    }
    return out;
  } finally {
    vm.close();
  }
}

/** KVM_RESET_DIRTY_RINGS of random offsets over 1 GiB (a fresh seed each time). */
async function randomResets(b: Backend, reps: number): Promise<Partial<Record<KvmOperation, number[]>>> {
  const vm = await b.vm({ dirtyRing: { entries: RING_ENTRIES }, slots: [{ pages: SLOT_PAGES }], scratchBytes: 0 });
  const out: number[] = [];
  try {
    for (let r = 0; r < reps; r++) {
      vm.workload('random', SLOT_PAGES, SEED + r);
      vm.pass(PASS_PAGES);
      vm.harvest();
      const z = vm.reset();
      out.push((z.ms * 1e6) / z.n);
    }
    return { 'reset-random': out };
  } finally {
    vm.close();
  }
}

/** First writes with dirty bitmaps, each pass re-protected by a classic GET. */
async function bitmapPasses(b: Backend, reps: number): Promise<Partial<Record<KvmOperation, number[]>>> {
  const vm = await b.vm({ slots: [{ pages: SLOT_PAGES }], scratchBytes: 0 });
  const out: number[] = [];
  try {
    vm.workload('sequential', PASS_PAGES, SEED);
    vm.pass(PASS_PAGES);
    vm.get();
    for (let r = 0; r < reps; r++) {
      vm.workload('sequential', PASS_PAGES, SEED);
      out.push((vm.pass(PASS_PAGES) * 1e6) / PASS_PAGES);
      vm.get();
    }
    return { 'first-write-bitmap': out };
  } finally {
    vm.close();
  }
}

/** GET (classic) or CLEAR (manual protect, after a copying GET) of 1 GiB at 0.01 % and 1 % dirty. */
async function dirtyLogCalls(b: Backend, reps: number, verb: 'get' | 'clear'): Promise<Partial<Record<KvmOperation, number[]>>> {
  const vm = await b.vm({ slots: [{ pages: SLOT_PAGES }], scratchBytes: 0, ...(verb === 'clear' ? { manualProtect: true } : {}) });
  const out: Partial<Record<KvmOperation, number[]>> = {};
  try {
    vm.get(); // from a clean bitmap
    for (const [label, density] of [['0.01%', 0.0001], ['1%', 0.01]] as const) {
      const samples: number[] = [];
      for (let r = 0; r < reps; r++) {
        vm.workload('random', SLOT_PAGES, SEED + r);
        vm.pass(Math.round(SLOT_PAGES * density));
        const get = vm.get();
        samples.push((verb === 'get' ? get : vm.clear()) * 1000);
        if (verb === 'get') continue;
        vm.get(); // nothing left: the next round starts clean
      }
      out[`${verb}-${label}`] = samples;
    }
    return out;
  } finally {
    vm.close();
  }
}
