/**
 * `dirtylog run`'s errors name the flags the user typed (--mem, --interval, --ring), never the
 * library's option names (memory, intervalMs, ringEntries).
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

it.each([
  [['--mem', 'lots'], /^dirtylog run: --mem must be a size like 64MiB/],
  [['--mem', '8TiB'], /^dirtylog run: --mem must be less than 8 TiB .*got 8TiB: use 8191GiB or less/],
  [['--mem', '4GiB', '--verify'], /^dirtylog run: --mem must be at most 1GiB with --verify .*got 4GiB: drop --verify for tracking only/],
  [['--interval', '1'], /^dirtylog run: --interval must be between 2 and 60000, got 1/],
  [['--reap-interval=-1'], /^dirtylog run: --reap-interval must be between 0 and/],
  [['--ring', '1000'], /^dirtylog run: --ring must be a power of two, got 1000: try 1024/],
  [['--write-rate', '0.5'], /^dirtylog run: --write-rate must be an integer, got 0.5/],
  [['--vcpus', '0'], /^dirtylog run: --vcpus must be between 1 and/],
  [['--dirty-limit=-5'], /^dirtylog run: --dirty-limit must be between 0 and 1000000000, got -5/],
  [['--dirty-limit-period', '100'], /^dirtylog run: --dirty-limit-period applies only with a --dirty-limit: set --dirty-limit too/],
  [['--dirty-limit', '1000', '--dirty-limit-period', '2000'], /^dirtylog run: --dirty-limit-period must be between 1 and 1000, got 2000: QEMU's x-vcpu-dirty-limit-period range/],
])('run --strategy ring %j', async (...args) => {
  const [flags, message] = args;
  const io = captureIo({ interrupted: true });
  expect(await runCli(['run', '--strategy', 'ring', ...flags], io)).toBe(2);
  expect(io.err()).toMatch(message);
  expect(io.err()).not.toMatch(/\b(memory|intervalMs|reapIntervalMs|ringEntries|dirtyRing\.entries|writeRate|dirtyLimit|dirtyLimitPeriodMs)\b/);
});

it('refuses --dirty-limit with a strategy that has no ring, saying why and what to use', async () => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(['run', '--strategy', 'clear-log', '--dirty-limit', '5000'], io)).toBe(2);
  expect(io.err()).toMatch(/^dirtylog run: --dirty-limit needs a dirty ring \(QEMU holds a vCPU on its ring-full exits.*got --strategy clear-log: use --strategy ring, or --write-rate to cap the guest's writes/);
});
