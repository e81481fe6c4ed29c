/**
 * `--vcpus-per-thread N` (vcpusPerThread): each worker thread time-slices N vCPUs, while
 * every vCPU keeps its own counters; beyond the vCPU count it is a usage error naming the flag.
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

it('runs 6 vCPUs on 2 threads, each vCPU writing and counted', async () => {
  const io = captureIo();
  const argv = ['run', '--strategy', 'ring', '--vcpus', '6', '--vcpus-per-thread', '3', '--seconds', '0.3', '--ring', '256', '--json'];
  expect(await runCli(argv, io)).toBe(0);
  const result = JSON.parse(io.out()) as { kind: string; options: { vcpusPerThread: number }; threads: { thread: number; writes: number }[] };
  expect(result.kind).toBe('completed');
  expect(result.options.vcpusPerThread).toBe(3);
  expect(result.threads.length).toBe(6);
  expect(result.threads.map((t) => t.thread)).toEqual([0, 0, 0, 1, 1, 1]);
  for (const t of result.threads) expect(t.writes).toBeGreaterThan(0);
}, 60_000);

it('refuses more vCPUs per thread than vCPUs, naming the flag', async () => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(['run', '--strategy', 'ring', '--vcpus', '8', '--vcpus-per-thread', '9'], io)).toBe(2);
  expect(io.err()).toMatch(/--vcpus-per-thread must be between 1 and 8, got 9/);
});
