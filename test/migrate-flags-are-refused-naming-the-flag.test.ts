/** Bad `dirtylog migrate` usage is refused before anything starts, naming the flag as typed (exit 2). */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';

function capture() {
  const err: string[] = [];
  return { err, io: { stdout: () => {}, stderr: (t: string) => void err.push(t), signal: new AbortController().signal } };
}

it.each([
  [['migrate', '--mem', '2GiB'], /--mem must be at most 1GiB with contents/],
  [['migrate', '--bandwidth', 'fast'], /--bandwidth/],
  [['migrate', '--bandwidth', '1K'], /--bandwidth must be from 64KiB to 1TiB per second, got 1024/],
  [['migrate', '--to', 'nowhere'], /--to must be "host:port", got "nowhere"/],
  [['migrate', '--unsafe', 'clock,tsc'], /--unsafe must list models among clock, vmgenid, psci, sev, got "tsc"/],
  [['migrate', '--strategy', 'bitmap', '--ring', '1024'], /--ring sizes the dirty ring, and --strategy bitmap has none/],
  [['migrate', '--listen', '0', '--mem', '64MiB'], /--mem is the source's, and --listen makes this the destination/],
  [['migrate', '--run-after-ms', '10'], /--run-after-ms is the destination's \(with --listen\)/],
  [['migrate', '--to', '127.0.0.1:1', '--dest-psci-host', 'old'], /--dest-psci-host and --dest-clock-skew-s configure the destination this command starts/],
  [['migrate', '--listen', '0', '--psci-host', 'ancient'], /--psci-host must be one of pre-register, old, new, compat, got "ancient"/],
  [['migrate', '--max-downtme-ms', '5'], /Unknown option '--max-downtme-ms': did you mean --max-downtime-ms\?/],
  [['migrate', '--to', '127.0.0.1:99999'], /^dirtylog migrate: --to \(port\) must be between 1 and 65535, got 99999/],
  [['migrate', '--listen', '0', '--accept-timeout-s', '0'], /--accept-timeout-s must be from 0.01 to 86400 s, got 0/],
  [['migrate', '--listen', '0', '--run-after-ms=-1'], /--run-after-ms must be from 0 to 3600000 ms, got -1/],
  [['migrate', '--listen', '0', '--clock-skew-s', '1e12'], /--clock-skew-s must be from -86400 to 86400 s \(a day either way\), got 1e12/],
  [['migrate', '--dest-clock-skew-s=-100000'], /--dest-clock-skew-s must be from -86400 to 86400 s/],
])('%j exits 2 naming the flag', async (argv, message) => {
  const { err, io } = capture();
  expect(await runCli(argv, io)).toBe(2);
  expect(err.join('')).toMatch(message);
});
