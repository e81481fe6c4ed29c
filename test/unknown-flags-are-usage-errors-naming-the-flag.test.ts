/**
 * A flag the (sub)command does not take is a usage error (exit 2) that names the flag, and the
 * one meant when it is close; nothing runs. Flags of a sibling subcommand count as unknown.
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

it.each([
  [['run', '--strategy', 'ring', '--bogus'], /Unknown option '--bogus'/],
  [['run', '--strat', 'ring'], /Unknown option '--strat': did you mean --strategy\?/],
  [['run', '--strategy', 'ring', '--vcpu', '2'], /Unknown option '--vcpu': did you mean --vcpus\?/],
  [['tour', '--jsn'], /Unknown option '--jsn': did you mean --json\?/],
  [['bench', 'transfer', '--kernel', 'push'], /Unknown option '--kernel'/],
  [['bench', 'engine', '--trials', '2'], /Unknown option '--trials'/],
  [['model', 'psci', '--matrix', '--freq-khz', '1'], /Unknown option '--freq-khz'/],
  [['model', 'sev', '--scenario', '1', '--race'], /Unknown option '--race'/],
  [['run', '--strategy', 'ring', '--\u001b[31mred'], /Unknown option '"--\\u001b\[31mred"'/],
  [['--bogus'], /unknown option "--bogus"/],
])('%j', async (argv, message) => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(argv, io)).toBe(2);
  expect(io.err()).toMatch(message);
  expect(io.out()).toBe('');
});

it('a flag that needs a value, given none, names the flag', async () => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(['run', '--strategy', 'ring', '--mem'], io)).toBe(2);
  expect(io.err()).toBe('dirtylog run: --mem needs a value: see dirtylog run --help\n');
});
