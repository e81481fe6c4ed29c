/**
 * `dirtylog bench transfer` reports the 99th percentile of the stall per full exit beside its
 * median, in the JSON and in the table: the exits that waited for a collector that was not
 * running are the tail, and a median alone hides them.
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

interface Row { fullExitsPerSecond: { median: number }; stallPerExitUs: { median: number }; stallPerExitP99Us: { median: number; min: number; max: number } }

it('gives the p99 of the stall per exit, at least the median, in the JSON', async () => {
  const io = captureIo();
  // A 256-entry ring fills within microseconds: every trial takes full exits.
  expect(await runCli(['bench', 'transfer', '--ring', '256', '--trials', '2', '--seconds', '0.2', '--json'], io)).toBe(0);
  const [row] = (JSON.parse(io.out()) as { rows: Row[] }).rows;
  expect(row!.fullExitsPerSecond.median).toBeGreaterThan(0);
  expect(row!.stallPerExitP99Us.median).toBeGreaterThan(0);
  expect(row!.stallPerExitP99Us.median).toBeGreaterThanOrEqual(row!.stallPerExitUs.median);
  expect(row!.stallPerExitP99Us.min).toBeLessThanOrEqual(row!.stallPerExitP99Us.max);
}, 60_000);

it('prints it in its own column of the table', async () => {
  const io = captureIo();
  expect(await runCli(['bench', 'transfer', '--ring', '256', '--trials', '1', '--seconds', '0.2'], io)).toBe(0);
  const lines = io.out().trim().split('\n');
  const header = lines.find((l) => l.startsWith('ring'))!;
  expect(header).toMatch(/stall per exit \(median\)\s+p99\s+looks\/entry/);
  expect(lines.at(-1)).toMatch(/^256\s.*µs\s+\d+(\.\d+)? (ns|µs|ms|s)\s+\d/);
}, 60_000);
