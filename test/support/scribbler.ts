/**
 * A hostile VMM thread: a plain-JS worker that keeps rewriting a vCPU's ring (and, with shared
 * indices, its fetch_index) in the shared memory while the test thread calls the kernel's
 * verbs, as a second userspace thread could on KVM. It writes only what userspace can write:
 * the ring's bytes and the fetch_index word. Bounded: it stops when told, or after 10 s.
 */
import { Worker } from 'node:worker_threads';

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { memory, ring, entries, fetchWord, resetWord, resetFlags, stop } = workerData;
const u32 = new Uint32Array(memory.buffer);
const halt = new Int32Array(stop);
let x = 0x9e3779b9;
const rand = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
const deadline = Date.now() + 10000;
let rounds = 0;
Atomics.store(halt, 1, 1); // started
while (Atomics.load(halt, 0) === 0 && Date.now() < deadline) {
  for (let k = 0; k < 64; k++) {
    const e = (ring >>> 2) + 4 * (rand() % entries);
    u32[e + 1] = rand() % 4 === 0 ? rand() : rand() % 3;          // slot: mostly 0..2, sometimes anything
    u32[e + 2] = rand() % 2 === 0 ? rand() % 400 : rand();        // offset: near the slots, or anything
    u32[e + 3] = rand() % 8 === 0 ? 0xffffffff : 0;
    if (resetFlags) Atomics.store(u32, e, 2);                     // flags: handed back as RESET
  }
  if (fetchWord) {
    // Near reset_index, behind it, up to two rings ahead, or anywhere at all.
    const ri = Atomics.load(u32, resetWord);
    const r = rand();
    Atomics.store(u32, fetchWord, (r % 4 === 0 ? r : ri + (r % (2 * entries + 8)) - 4) >>> 0);
  }
  rounds++;
}
parentPort.postMessage(rounds);
`;

export interface Scribbler {
  /** Stops it; resolves with the rounds of 64 entry writes it made. */
  stop(): Promise<number>;
}

export interface ScribblerTarget {
  readonly memory: WebAssembly.Memory;
  /** Byte offsets and size of the ring. */
  readonly ring: number;
  readonly entries: number;
  /** u32 index of the shared fetch_index, 0 for per-entry flags. */
  readonly fetchWord: number;
  /** u32 index of the kernel's reset_index (read, to forge fetch indices near it). */
  readonly resetWord: number;
  /** Mark every entry it writes RESET (the flags protocol's handshake). */
  readonly resetFlags: boolean;
}

export async function startScribbler(t: ScribblerTarget): Promise<Scribbler> {
  const stop = new SharedArrayBuffer(8);
  const halt = new Int32Array(stop);
  const worker = new Worker(WORKER, { eval: true, workerData: { ...t, stop } });
  const done = new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const started = Date.now();
  while (Atomics.load(halt, 1) === 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 2));
  return {
    async stop() {
      Atomics.store(halt, 0, 1);
      try {
        return await done;
      } finally {
        await worker.terminate();
      }
    },
  };
}
