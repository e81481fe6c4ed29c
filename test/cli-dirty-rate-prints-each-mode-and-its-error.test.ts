/**
 * `dirtylog dirty-rate` prints, per measurement, the engine's count and each mode's rate in
 * QEMU's MB/s and in pages/s with its error against that count (per vCPU in dirty-ring mode);
 * --json is the whole result; a mode the strategy cannot measure, and every bad option, is a
 * usage error naming the flag as typed.
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

it('prints each measurement: the engine count, then each mode with its error; the errors over several', async () => {
  const io = captureIo();
  expect(await runCli(['dirty-rate', '--mem', '64MiB', '--calc-time', '100', '--measurements', '2', '--sample-pages', '4096', '--min-writes', '2000'], io)).toBe(0);
  const out = io.out();
  expect(out).toMatch(/^dirtylog dirty-rate: ring, 2 vCPUs, 64MiB \(16,384 pages\), ring 4096 entries, pattern random; calc-time 100 ms, 4,096 sample pages per GiB$/m);
  expect(out).toMatch(/^measurement 2: period [\d,]+ ms; the engine counted [\d,]+ distinct dirty pages from [\d,]+ writes: [\d,.]+ MB\/s \([\d,]+ pages\/s\)$/m);
  expect(out).toMatch(/^ {2}page-sampling +[\d,.]+ MB\/s +[\d,]+ +[-+]?[\d.]+% +[\d,]+ of 256 sampled pages changed$/m);
  expect(out).toMatch(/^ {2}dirty-ring +[\d,.]+ MB\/s +[\d,]+ +[-+]?[\d.]+% +[\d,]+ ring entries harvested$/m);
  expect(out).toMatch(/^ {4}vcpu\[1\] +[\d,.]+ MB\/s +[\d,]+/m);
  expect(out).toMatch(/^error against the engine's count, over 2 measurements:$/m);
});

it('--mode dirty-bitmap picks a strategy without a ring, and --json is the whole result', async () => {
  const io = captureIo();
  expect(await runCli(['dirty-rate', '--mode', 'dirty-bitmap', '--mem', '64MiB', '--calc-time', '100', '--min-writes', '2000', '--json'], io)).toBe(0);
  const r = JSON.parse(io.out()) as { kind: string; options: { strategy: string }; measurements: { modes: { mode: string; errorPercent: number }[] }[] };
  expect(r.kind).toBe('completed');
  expect(r.options.strategy).toBe('bitmap');
  expect(r.measurements[0]!.modes.map((m) => m.mode)).toEqual(['page-sampling', 'dirty-bitmap']);
  expect(r.measurements[0]!.modes[1]!.errorPercent).toBe(0);
});

it.each([
  [['--mode', 'dirty-ring', '--strategy', 'bitmap'], /--mode dirty-ring is not enabled with --strategy bitmap \(QEMU: "mode dirty-ring is not enabled, use other method instead"\): use --strategy ring/],
  [['--mode', 'dirty-bitmap', '--strategy', 'ring'], /--mode dirty-bitmap is not enabled with --strategy ring .*use --strategy bitmap or clear-log/],
  [['--mode', 'dirty-ring,dirty-bitmap'], /--mode dirty-ring and dirty-bitmap exclude each other/],
  [['--mode', 'sampling'], /--mode must be one of page-sampling, dirty-ring, dirty-bitmap, got "sampling"/],
  [['--calc-time', '20'], /--calc-time must be between 50 and 60000, got 20: QEMU's calc-time range/],
  [['--sample-pages', '20000'], /--sample-pages must be between 128 and 16384, got 20000: QEMU's sample-pages range, per GiB/],
  [['--mem', '2GiB'], /--mem must be at most 1GiB with dirty-rate \(page-sampling hashes page contents\), got 2GiB/],
  [['--mem', '4MiB', '--sample-pages', '128'], /--sample-pages must sample at least one page of the guest .*got 128 per GiB of 4MiB: raise --sample-pages or --mem/],
  [['--strategy', 'bitmap', '--ring', '1024'], /--ring sizes the dirty ring, and --strategy bitmap has none/],
  [['--measurements', '0'], /--measurements must be between 1 and 1000, got 0/],
  [['--min-writes=-1'], /--min-writes must be between 0 and 1000000000, got -1/],
])('dirty-rate %j is a usage error naming the flag', async (flags, message) => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(['dirty-rate', ...flags], io)).toBe(2);
  expect(io.err()).toMatch(message);
  expect(io.err()).not.toMatch(/\b(calcTimeMs|samplePages|memory|dirtyRate|ringEntries|minWrites)\b/);
});
