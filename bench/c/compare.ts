/**
 * Wasm engine vs a C baseline of the same kernels (bench/c/kernels.c), on this machine, in
 * one run, interleaved. `npm run bench:c -- --help` for options; see bench/c/README.md.
 *
 * 1. Compiles kernels.c with gcc into a temp dir (layout.h generated from src/layout.ts's ABI),
 *    at -O2 and, unless --no-native, at -O3 -march=native.
 * 2. Cross-checks C against the Wasm engine on every guest's fixtures: same offset lists and
 *    bitmap templates, and after one push/harvest/reset per pattern the same reset count,
 *    re-protect batches and armed bitmap; after one mark/GET/CLEAR per density the same
 *    results and bitmaps. Any difference aborts the run (exit 1) before timing anything.
 * 3. For each guest and kernel, `--rounds` times: C -O2, C native, then Wasm through
 *    runEngineBench (which also times the js engine; its numbers are ignored here). Each side
 *    reports the median of its per-round medians; the spread column is how far the Wasm and
 *    C round medians wandered (max/min - 1, worst of the two).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runEngineBench, benchFixtures, GUESTS, DENSITIES, KERNELS, type Kernel } from '../../src/bench/engine.ts';
import { machineInfo } from '../../src/bench/machine.ts';
import { runTransferBench, TRANSFER_GUEST, TRANSFER_SECONDS } from '../../src/bench/transfer.ts';
import { ABI } from '../../src/layout.ts';
import { createVm } from '../../src/kvm/vm.ts';
import { harvestDirtyRing, resetDirtyRings } from '../../src/kvm/dirty-ring.ts';
import { clearDirtyLogInPlace, getDirtyLog } from '../../src/kvm/dirty-log.ts';

const HELP = `usage: npx tsx bench/c/compare.ts [options]      (or: npm run bench:c -- [options])

Times the engine's kernels in Wasm and in a C baseline compiled with gcc, interleaved,
after checking that both compute the same results on the same fixtures.

options:
  --rounds N      interleaved rounds per kernel and guest (default 3, at least 1)
  --guest SIZE    only this guest (repeatable): ${GUESTS.map((g) => g.name).join(', ')}
  --kernel K      only this kernel (repeatable): ${KERNELS.join(', ')}
  --no-native     skip the secondary gcc -O3 -march=native column
  --wasm-atomics  add a column: gcc -O2 -DWASM_ATOMICS, C with V8 11.3's atomics codegen (xchg
                  flag stores, cmpxchg loops for and/or); splits each gap into
                  what Wasm forces and what the engine or V8 adds (the pipeline
                  runs that twin too)
  --ring N        pipeline: only this ring size (repeatable; default 512, 4096, 65536)
  --pipeline-seconds S  pipeline: seconds per run (default 3, as bench transfer: the
                  Wasm side's worker threads start unoptimized)
  --no-pipeline   skip the two-thread pipeline against its C twin
  --check-only    compile and cross-check, time nothing
  --keep          keep the temp build dir and print its path
  --json          one JSON document on stdout instead of the table
  -h, --help      this help
`;

const SEED = 0x5eed; // runEngineBench's default; kernels.c hard-codes the same
const RING_ENTRIES = 65536;
const RING_BATCH = RING_ENTRIES - 64;
const MAX_MARKS = 1 << 20;
// The JS bench's method without --full; kernels.c runs the same loop.
const METHOD = { timeMs: 60, minIterations: 4, warmupIterations: 2 };

interface Side {
  median: number;
  mad: number;
  rounds: number[];
}
interface Row {
  kernel: Kernel;
  guest: string;
  density: number | null;
  unit: string;
  c: Side;
  native: Side | null;
  /** C -O2 with Wasm's atomics (--wasm-atomics). */
  wasmAtomics: Side | null;
  wasm: Side;
  /** wasm median / C -O2 median. */
  ratio: number;
  ratioNative: number | null;
  /** Worst round-to-round wander of the medians (max/min - 1) over the sides. */
  spread: number;
}
interface CRow {
  kernel: string;
  pages: number;
  density: number | null;
  unit: string;
  median: number;
  mad: number;
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    guest: { type: 'string', multiple: true },
    kernel: { type: 'string', multiple: true },
    'no-native': { type: 'boolean', default: false },
    'wasm-atomics': { type: 'boolean', default: false },
    'check-only': { type: 'boolean', default: false },
    ring: { type: 'string', multiple: true },
    'pipeline-seconds': { type: 'string' },
    'no-pipeline': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds ${values.rounds} must be a positive integer`);
for (const g of values.guest ?? []) if (!GUESTS.some((x) => x.name === g)) fail(`--guest ${g}: use one of ${GUESTS.map((x) => x.name).join(', ')}`);
for (const k of values.kernel ?? []) if (!(KERNELS as readonly string[]).includes(k)) fail(`--kernel ${k}: use one of ${KERNELS.join(', ')}`);
const guests = GUESTS.filter((g) => !values.guest || values.guest.includes(g.name));
const kernels = KERNELS.filter((k) => !values.kernel || values.kernel.includes(k));
const log = (s: string) => process.stderr.write(s);

function fail(msg: string): never {
  process.stderr.write(`compare: ${msg}\n`);
  process.exit(1);
}

// ---- build ------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'dirtylog-cbase-'));
const source = fileURLToPath(new URL('./kernels.c', import.meta.url));
const builds = [
  { name: 'c', flags: ['-O2'] },
  ...(values['no-native'] ? [] : [{ name: 'native', flags: ['-O3', '-march=native'] }]),
  ...(values['wasm-atomics'] ? [{ name: 'wa', flags: ['-O2', '-DWASM_ATOMICS'] }] : []),
];
const binaries = new Map<string, string>();
let gccVersion = '';
try {
  gccVersion = execFileSync('gcc', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
} catch {
  fail('gcc not found: this comparison needs gcc (it is not a project dependency)');
}
writeFileSync(
  join(dir, 'layout.h'),
  `/* generated by bench/c/compare.ts from src/layout.ts */\n${Object.entries(ABI)
    .map(([k, v]) => `#define ${k} (${v < 0 ? v : `${v}u`})`)
    .join('\n')}\n`,
);
for (const b of builds) {
  const out = join(dir, `kernels-${b.name}`);
  execFileSync('gcc', [...b.flags, '-fno-strict-aliasing', '-Wall', '-Wextra', '-Werror', '-I', dir, '-o', out, source, '-lm', '-pthread'], { stdio: 'inherit' });
  binaries.set(b.name, out);
}
if (values.keep) log(`build dir: ${dir}\n`);
const cleanup = () => {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

function runC(build: string, args: (string | number)[]): string {
  return execFileSync(binaries.get(build)!, args.map(String), { encoding: 'utf8', maxBuffer: 1 << 26 });
}

// ---- cross-check --------------------------------------------------------------------------

/** FNV-1a over u32 words, as hash_words() in kernels.c. */
function hashWords(bytes: Uint8Array): number {
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i]!, 16777619);
  return h >>> 0;
}

const fixtures = (pages: number) => benchFixtures(pages, DENSITIES, SEED);


const u32Bytes = (a: Uint32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** What kernels.c's `check` prints, computed by the Wasm engine. */
async function wasmCheck(pages: number): Promise<unknown> {
  const fx = fixtures(pages);
  const ring: Record<string, unknown> = {};
  for (const [name, list] of [['reset-seq', fx.seq], ['reset-random', fx.random], ['reset-desc', fx.desc]] as const) {
    const vm = await createVm({ engine: 'wasm', dirtyRing: { entries: RING_ENTRIES }, slots: [{ pages }], vcpus: 1, scratchBytes: 4 * Math.max(RING_BATCH, MAX_MARKS) });
    const { engine, u8, u32, plan } = vm.arena;
    const r = plan.slots[0]!;
    const vcpu = vm.vcpus[0]!;
    engine.bitmapFill(r.armed, pages, false);
    u32.set(list, plan.scratch >>> 2);
    const pushed = engine.dirtyRingPushBatch(vcpu.ctl, 0, plan.scratch, fx.n);
    const harvested = harvestDirtyRing(vm.arena, vcpu.id, fx.n);
    const harvestBuf = hashWords(u8.subarray(plan.harvestBufs[0], plan.harvestBufs[0]! + fx.n * 16));
    const reset = resetDirtyRings(vm.arena, [vcpu.id]);
    ring[name] = {
      pushed, harvested, harvestBuf, reset,
      batches: vcpu.ring!.resetBatches,
      armed: hashWords(u8.subarray(r.armed, r.armed + r.bitmapBytes)),
      rejected: u32[(plan.vmCtl + ABI.VM_REJECTED_BATCHES) >>> 2],
    };
  }
  const bitmap = [];
  for (const b of fx.bitmaps) {
    const vm = await createVm({ engine: 'wasm', slots: [{ pages }], vcpus: 1, scratchBytes: 4 * Math.max(RING_BATCH, MAX_MARKS) });
    const { engine, u8, u32, plan } = vm.arena;
    const r = plan.slots[0]!;
    const desc = vm.slot(0).desc;
    const bm = (at: number) => hashWords(u8.subarray(at, at + r.bitmapBytes));
    u32.set(b.markList, plan.scratch >>> 2);
    const marked = engine.faultWriteBatch(vm.vcpus[0]!.ctl, desc, plan.scratch, b.markList.length);
    const markDirty = bm(r.dirty);
    const markArmed = bm(r.armed);
    engine.bitmapFill(r.armed, pages, false);
    u8.set(b.template, r.dirty);
    const get = getDirtyLog(vm.arena, 0, false);
    const getSnapshot = bm(r.snapshot);
    const getArmed = bm(r.armed);
    engine.bitmapFill(r.armed, pages, false);
    u8.set(b.template, r.dirty);
    u8.set(b.template, r.clearArg);
    const arg = new BigUint64Array(u8.buffer, r.clearArg, r.bitmapBytes / 8);
    for (let i = 0; i < arg.length; i += 2) arg[i] = 0n;
    const clear = clearDirtyLogInPlace(vm.arena, 0, 0, pages);
    bitmap.push({
      density: b.density, template: hashWords(b.template), marks: hashWords(u32Bytes(b.markList)),
      marked, markDirty, markArmed, get, getSnapshot, getArmed, clear, clearDirty: bm(r.dirty), clearArmed: bm(r.armed),
    });
  }
  return {
    pages,
    lists: { seq: hashWords(u32Bytes(fx.seq)), random: hashWords(u32Bytes(fx.random)), desc: hashWords(u32Bytes(fx.desc)) },
    ring,
    bitmap,
  };
}

/** Leaf-by-leaf differences between two JSON values. */
function diff(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return Object.is(a, b) ? [] : [`${path}: C ${JSON.stringify(a)} vs wasm ${JSON.stringify(b)}`];
}

for (const g of guests) {
  const t0 = performance.now();
  for (const build of binaries.keys()) {
    const c: unknown = JSON.parse(runC(build, ['check', g.pages, ...DENSITIES]));
    const w = await wasmCheck(g.pages);
    const d = diff(c, w);
    if (d.length) {
      fail(`cross-check FAILED for ${g.name} (${build}): C and Wasm disagree on the same fixture:\n  ${d.join('\n  ')}`);
    }
  }
  const ring = (JSON.parse(runC('c', ['check', g.pages, ...DENSITIES])) as { ring: Record<string, { batches: number }> }).ring;
  log(`cross-check ${g.name}: C and Wasm agree (reset batches seq/random/desc ${Object.values(ring).map((r) => r.batches).join('/')}; ` +
    `armed bitmaps, harvest buffers, mark/GET/CLEAR results equal) [${((performance.now() - t0) / 1000).toFixed(1)} s]\n`);
}
if (values['check-only']) process.exit(0);

const HEADER = [
  'kernel'.padEnd(12), 'guest'.padEnd(6), 'dens'.padStart(6), 'unit'.padEnd(8),
  'C -O2'.padStart(15), 'C -O3 native'.padStart(15), 'wasm'.padStart(15),
  'w/C'.padStart(7), 'w/nat'.padStart(7), 'spread'.padStart(6), 'on bar',
  ...(values['wasm-atomics'] ? ['C wasm-atomics'.padStart(15), 'w/Cwa'.padStart(7)] : []),
].join(' ');

// ---- timing, interleaved ----------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const side = (medians: number[], mads: number[]): Side => ({ median: median(medians), mad: median(mads), rounds: medians });
const wander = (xs: number[]) => Math.max(...xs) / Math.min(...xs) - 1;
const keyOf = (k: string, d: number | null) => `${k}|${d ?? '-'}`;

const rows: Row[] = [];
if (kernels.length) log(`${HEADER}\n`);
const started = performance.now();
for (const g of guests) {
  const guestStarted = performance.now();
  for (const kernel of kernels) {
    const acc = new Map<string, { c: CRow[]; native: CRow[]; wa: CRow[]; wasm: { median: number; mad: number }[]; unit: string; density: number | null }>();
    const slot = (density: number | null, unit: string) => {
      const k = keyOf(kernel, density);
      if (!acc.has(k)) acc.set(k, { c: [], native: [], wa: [], wasm: [], unit, density });
      return acc.get(k)!;
    };
    for (let r = 0; r < rounds; r++) {
      for (const build of binaries.keys()) {
        const out = runC(build, ['bench', g.pages, kernel, METHOD.timeMs, METHOD.minIterations, METHOD.warmupIterations, ...DENSITIES]);
        for (const line of out.trim().split('\n')) {
          const row = JSON.parse(line) as CRow;
          slot(row.density, row.unit)[build as 'c' | 'native' | 'wa'].push(row);
        }
      }
      const report = await runEngineBench({ kernels: [kernel], guests: [g.name], seed: SEED });
      for (const row of report.rows) slot(row.density, row.unit).wasm.push(row.wasm);
    }
    for (const a of acc.values()) {
      if (a.c.length !== rounds || a.wasm.length !== rounds) fail(`${kernel} ${g.name}: rows missing (C ${a.c.length}, wasm ${a.wasm.length} of ${rounds})`);
      const c = side(a.c.map((x) => x.median), a.c.map((x) => x.mad));
      const native = a.native.length ? side(a.native.map((x) => x.median), a.native.map((x) => x.mad)) : null;
      const wasmAtomics = a.wa.length ? side(a.wa.map((x) => x.median), a.wa.map((x) => x.mad)) : null;
      const wasm = side(a.wasm.map((x) => x.median), a.wasm.map((x) => x.mad));
      const row: Row = {
        kernel, guest: g.name, density: a.density, unit: a.unit, c, native, wasmAtomics, wasm,
        ratio: wasm.median / c.median,
        ratioNative: native ? wasm.median / native.median : null,
        spread: Math.max(wander(c.rounds), wander(wasm.rounds), native ? wander(native.rounds) : 0),
      };
      rows.push(row);
      log(`${line(row)}\n`);
    }
  }
  log(`(${g.name}: ${((performance.now() - guestStarted) / 1000).toFixed(0)} s)\n`);
}
const pipeline = values['no-pipeline'] ? null : await pipelineRows();
const elapsed = (performance.now() - started) / 1000;

interface PipelineSide {
  readonly mEntriesPerSecond: { readonly median: number; readonly rounds: readonly number[] };
  readonly stallPerExitUs: { readonly median: number; readonly rounds: readonly number[] };
}
interface PipelineRow {
  readonly ring: number;
  readonly c: PipelineSide;
  /** The twin built with Wasm's atomics (--wasm-atomics), else null. */
  readonly cWasmAtomics: PipelineSide | null;
  readonly wasm: PipelineSide;
  /** wasm / C entries per second: how close the Wasm pipeline comes to its twin. */
  readonly ratio: number;
  /** wasm / the twin with Wasm's atomics: what is left once the atomics are priced alike. */
  readonly ratioWasmAtomics: number | null;
}

/**
 * The two-thread pipeline (`dirtylog bench transfer`) against its C twin (`kernels pipeline`):
 * the same protocol, arena and workload, one run each per round, interleaved.
 */
async function pipelineRows(): Promise<{ method: { secondsPerRun: number; rounds: number; guest: string }; rows: PipelineRow[] }> {
  const sizes = (values.ring ?? ['512', '4096', '65536']).map((x) => {
    const n = Number(x);
    if (![512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].includes(n)) fail(`--ring ${x} must be a power of two from 512 to 65536`);
    return n;
  });
  const seconds = values['pipeline-seconds'] === undefined ? TRANSFER_SECONDS : Number(values['pipeline-seconds']);
  if (!(seconds > 0 && seconds <= 60)) fail(`--pipeline-seconds must be above 0 and at most 60, got ${values['pipeline-seconds']}`);
  const out: PipelineRow[] = [];
  log(`\npipeline: ring, M entries/s C (rounds), wasm (rounds), wasm/C, stall per exit C / wasm${binaries.has('wa') ? ', C wasm-atomics (rounds), wasm/Cwa' : ''}\n`);
  for (const ring of sizes) {
    const c = { m: [] as number[], stall: [] as number[] };
    const wa = { m: [] as number[], stall: [] as number[] };
    const w = { m: [] as number[], stall: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const [build, into] of [['c', c], ...(binaries.has('wa') ? [['wa', wa] as const] : [])] as const) {
        const cr = JSON.parse(runC(build, ['pipeline', ring, seconds])) as { mEntriesPerSecond: number; stallPerExitUs: number };
        into.m.push(cr.mEntriesPerSecond);
        into.stall.push(cr.stallPerExitUs);
      }
      const wr = (await runTransferBench({ sizes: [ring], trials: 1, seconds })).rows[0]!;
      w.m.push(wr.mEntriesPerSecond.median);
      w.stall.push(wr.stallPerExitUs.median);
    }
    const sideOf = (x: { m: number[]; stall: number[] }): PipelineSide => ({
      mEntriesPerSecond: { median: median(x.m), rounds: x.m }, stallPerExitUs: { median: median(x.stall), rounds: x.stall },
    });
    const row: PipelineRow = {
      ring, c: sideOf(c), cWasmAtomics: wa.m.length ? sideOf(wa) : null, wasm: sideOf(w),
      ratio: median(w.m) / median(c.m), ratioWasmAtomics: wa.m.length ? median(w.m) / median(wa.m) : null,
    };
    out.push(row);
    log(`${pipelineLine(row)}\n`);
  }
  return { method: { secondsPerRun: seconds, rounds, guest: TRANSFER_GUEST }, rows: out };
}

function pipelineLine(r: PipelineRow): string {
  const rounds = (xs: readonly number[]) => xs.map((x) => x.toFixed(1)).join(', ');
  return [
    String(r.ring).padStart(6), `${r.c.mEntriesPerSecond.median.toFixed(1)} (${rounds(r.c.mEntriesPerSecond.rounds)})`.padStart(24),
    `${r.wasm.mEntriesPerSecond.median.toFixed(1)} (${rounds(r.wasm.mEntriesPerSecond.rounds)})`.padStart(24),
    `${r.ratio.toFixed(2)}x`.padStart(7), `${r.c.stallPerExitUs.median.toFixed(1)} / ${r.wasm.stallPerExitUs.median.toFixed(1)} µs`.padStart(20),
    ...(r.cWasmAtomics ? [`${r.cWasmAtomics.mEntriesPerSecond.median.toFixed(1)} (${rounds(r.cWasmAtomics.mEntriesPerSecond.rounds)})`.padStart(24), `${r.ratioWasmAtomics!.toFixed(2)}x`.padStart(7)] : []),
  ].join(' ');
}

/** Issue 9's bar: every kernel within 1.5x of C -O2, push within 2x (its DIRTY store must stay a seq-cst xchg in Wasm). */
function target(kernel: string): number {
  return kernel === 'push' ? 2 : 1.5;
}

function num(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(3);
}
/** Median ±MAD, the MAD as a percentage of the median so small ms/call figures stay readable. */
function cell(s: Side): string {
  return `${num(s.median)} ±${((s.mad / s.median) * 100).toFixed(1)}%`;
}
function line(r: Row): string {
  const density = r.density === null ? '-' : `${+(r.density * 100).toPrecision(3)}%`;
  return [
    r.kernel.padEnd(12), r.guest.padEnd(6), density.padStart(6), r.unit.padEnd(8),
    cell(r.c).padStart(15), (r.native ? cell(r.native) : '-').padStart(15), cell(r.wasm).padStart(15),
    `${r.ratio.toFixed(2)}x`.padStart(7), (r.ratioNative === null ? '-' : `${r.ratioNative.toFixed(2)}x`).padStart(7),
    `${(r.spread * 100).toFixed(0)}%`.padStart(6), (r.ratio <= target(r.kernel) ? 'yes' : 'no').padEnd(6),
    ...(r.wasmAtomics ? [cell(r.wasmAtomics).padStart(15), `${(r.wasm.median / r.wasmAtomics.median).toFixed(2)}x`.padStart(7)] : []),
  ].join(' ');
}

const method = { ...METHOD, rounds, seed: SEED, builds: builds.map((b) => `gcc ${b.flags.join(' ')} -fno-strict-aliasing`), gcc: gccVersion };
if (values.json) {
  process.stdout.write(`${JSON.stringify({ kind: 'c-baseline', date: new Date().toISOString(), machine: machineInfo(), method, elapsedSeconds: elapsed, rows, pipeline })}\n`);
} else {
  const m = machineInfo();
  process.stdout.write(`${m.cpuModel}, ${m.cpus} CPUs, node ${m.node}, ${gccVersion}; ${rounds} interleaved rounds; ${elapsed.toFixed(0)} s\n`);
  process.stdout.write(`medians of per-round medians ±median MAD (% of median); w/C = wasm / C -O2; spread = worst max/min-1 of round medians\n`);
  if (rows.length) process.stdout.write(`${HEADER}\n${rows.map(line).join('\n')}\n`);
  if (pipeline) process.stdout.write(`\ntwo threads, vCPU -> collector, ${pipeline.method.secondsPerRun} s per run, ${TRANSFER_GUEST} guest\n   ring   C twin M entries/s (rounds)   wasm M entries/s (rounds)  wasm/C   stall per exit C / wasm${binaries.has('wa') ? '  C wasm-atomics M entries/s   w/Cwa' : ''}\n${pipeline.rows.map(pipelineLine).join('\n')}\n`);
}
