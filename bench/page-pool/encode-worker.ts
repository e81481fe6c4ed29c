/** A page-copy pool's worker: encodes page records (copy, hash, crc32) from the shared guest memory and transfers them back. */
import { parentPort, workerData } from 'node:worker_threads';
import { encodePages, PAGES_PER_RECORD } from '../../src/migration/stream.ts';

const memory = new Uint8Array((workerData as { memory: SharedArrayBuffer }).memory);
parentPort!.on('message', ({ first, count }: { first: number; count: number }) => {
  const pages = Uint32Array.from({ length: count }, (_, i) => first + i);
  const records: Uint8Array[] = [];
  for (let i = 0; i < count; i += PAGES_PER_RECORD) records.push(encodePages(0, memory, pages.subarray(i, i + PAGES_PER_RECORD)));
  parentPort!.postMessage(records, records.map((r) => r.buffer as ArrayBuffer));
});
