/**
 * Does a worker pool for page copying pay? The issue asks for one (piscina, as the design
 * names it) only if measurement says so. This times what the source does per page record
 * (copy the page out of guest memory, hash it, crc32 the record: `encodePages`) for 64 MiB of
 * pages from a SharedArrayBuffer, as the source's main thread does it, and through a pool of 1
 * and of 2 worker threads that read the shared memory directly and transfer the records back
 * (zero copies in, none out): the most a pool could gain. Trials are interleaved; each side
 * reports the median with min and max. Run: `npx tsx bench/page-pool/compare.ts [trials]`.
 */
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';
import { encodePages, PAGES_PER_RECORD } from '../../src/migration/stream.ts';

const PAGES = 16384; // 64 MiB
const JOB = 1024; // pages per job handed to a worker (4 MiB)
const trials = Number(process.argv[2] ?? 7);
const shared = new SharedArrayBuffer(PAGES * 4096);
const memory = new Uint8Array(shared);
for (let i = 0; i < memory.length; i += 64) memory[i] = (i * 2654435761) >>> 24;
const all = Uint32Array.from({ length: PAGES }, (_, i) => i);

// Node 20 cannot start a .ts worker: the worker compiles its entry through tsx, as the project's shim does.
const entry = new URL('./encode-worker.ts', import.meta.url).href;
const boot = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`;
const pool = (n: number) => Array.from({ length: n }, () => new Worker(boot, { eval: true, workerData: { memory: shared } }));
const job = (w: Worker, first: number, count: number) => new Promise<void>((resolve) => {
  w.once('message', () => resolve());
  w.postMessage({ first, count });
});
async function throughPool(workers: Worker[]): Promise<void> {
  let next = 0;
  await Promise.all(workers.map(async (w) => {
    while (next < PAGES) {
      const first = next;
      next += JOB;
      await job(w, first, JOB);
    }
  }));
}
function onMainThread(): void {
  for (let i = 0; i < PAGES; i += PAGES_PER_RECORD) encodePages(0, memory, all.subarray(i, i + PAGES_PER_RECORD));
}

const pools = { '1 worker': pool(1), '2 workers': pool(2) };
for (const workers of Object.values(pools)) await throughPool(workers); // warm-up: start, compile
onMainThread();
const ms: Record<string, number[]> = { 'main thread': [], '1 worker': [], '2 workers': [] };
for (let t = 0; t < trials; t++) {
  let t0 = performance.now();
  onMainThread();
  ms['main thread']!.push(performance.now() - t0);
  for (const [name, workers] of Object.entries(pools)) {
    t0 = performance.now();
    await throughPool(workers);
    ms[name]!.push(performance.now() - t0);
  }
}
const gibps = (t: number) => (PAGES * 4096) / 2 ** 30 / (t / 1000);
console.log(`encodePages of ${(PAGES * 4096) / 2 ** 20} MiB, ${trials} interleaved trials, load average ${loadavg()[0]!.toFixed(1)}:`);
for (const [name, v] of Object.entries(ms)) {
  const s = [...v].sort((a, b) => a - b);
  console.log(`  ${name.padEnd(11)} median ${gibps(s[Math.floor(s.length / 2)]!).toFixed(2)} GiB/s (min ${gibps(s.at(-1)!).toFixed(2)}, max ${gibps(s[0]!).toFixed(2)})`);
}
for (const workers of Object.values(pools)) for (const w of workers) await w.terminate();
