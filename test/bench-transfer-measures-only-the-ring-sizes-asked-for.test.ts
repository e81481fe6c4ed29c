/**
 * `dirtylog bench transfer --ring N` (repeatable) measures those ring sizes and no others; a
 * size KVM would refuse is a usage error naming --ring and the fix, before any trial runs.
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

it('measures exactly the sizes given, in order', async () => {
  const io = captureIo();
  expect(await runCli(['bench', 'transfer', '--ring', '1024', '--ring', '256', '--trials', '1', '--seconds', '0.2', '--json'], io)).toBe(0);
  const report = JSON.parse(io.out()) as { rows: { ringEntries: number; mEntriesPerSecond: { median: number } }[] };
  expect(report.rows.map((r) => r.ringEntries)).toEqual([1024, 256]);
  for (const row of report.rows) expect(row.mEntriesPerSecond.median).toBeGreaterThan(0);
}, 60_000);

it.each([
  ['1000', /--ring must be a power of two, got 1000: try 1024/],
  ['128', /--ring must be at least 256, got 128/],
  ['131072', /--ring must be at most 65536/],
  ['many', /--ring/],
])('--ring %s is refused before anything runs', async (value, message) => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(['bench', 'transfer', '--ring', value], io)).toBe(2);
  expect(io.err()).toMatch(message);
  expect(io.out()).toBe('');
});
