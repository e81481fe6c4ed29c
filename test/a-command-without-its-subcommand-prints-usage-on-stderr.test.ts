/** `dirtylog model`, `dirtylog bench` and `dirtylog sweep` without a subcommand are usage errors: usage on stderr, nothing on stdout, exit 2. */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

it.each([['model'], ['bench'], ['sweep']])('dirtylog %s', async (command) => {
  const io = captureIo({ interrupted: true });
  expect(await runCli([command], io)).toBe(2);
  expect(io.out()).toBe('');
  expect(io.err()).toMatch(new RegExp(`^usage: dirtylog ${command} <`));
});
