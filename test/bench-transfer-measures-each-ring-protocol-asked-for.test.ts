/**
 * `dirtylog bench transfer --ring-protocol P` (repeatable) measures each protocol asked for at
 * each ring size, in the order given, each row naming its protocol and how often the poller
 * looked; an unknown protocol is a usage error naming the flag and the choices.
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

it('measures every protocol given at every size', async () => {
  const io = captureIo();
  expect(await runCli(['bench', 'transfer', '--ring', '256', '--ring-protocol', 'indices-apart', '--ring-protocol', 'flags', '--trials', '1', '--seconds', '0.2', '--json'], io)).toBe(0);
  const report = JSON.parse(io.out()) as { rows: { ringEntries: number; protocol: string; mEntriesPerSecond: { median: number }; looksPerEntry: { median: number } }[] };
  expect(report.rows.map((r) => `${r.ringEntries} ${r.protocol}`)).toEqual(['256 indices-apart', '256 flags']);
  for (const row of report.rows) {
    expect(row.mEntriesPerSecond.median).toBeGreaterThan(0);
    expect(row.looksPerEntry.median).toBeGreaterThan(0);
  }
}, 60_000);

it('an unknown protocol is refused before anything runs', async () => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(['bench', 'transfer', '--ring-protocol', 'index'], io)).toBe(2);
  expect(io.err()).toMatch(/--ring-protocol must be one of flags, indices, indices-apart, got "index"/);
  expect(io.out()).toBe('');
});
