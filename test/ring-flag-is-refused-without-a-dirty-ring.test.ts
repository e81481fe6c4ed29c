/** `--ring` sizes the dirty ring: with `--strategy bitmap` or `clear-log`, which have none, it is a usage error, not silently ignored. */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

it.each([['bitmap'], ['clear-log']])('--strategy %s --ring 1024 exits 2 naming both flags', async (strategy) => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(['run', '--strategy', strategy, '--ring', '1024', '--iterations', '1'], io)).toBe(2);
  expect(io.err()).toBe(`dirtylog run: --ring sizes the dirty ring, and --strategy ${strategy} has none: drop --ring, or use --strategy ring or ring-with-bitmap\n`);
  expect(io.out()).toBe('');
});
