/** Every help text documents the exit statuses: 0 success, 1 failure, 2 usage error, 130 interrupted. */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

it.each([
  [['--help']], [['run', '--help']], [['tour', '--help']], [['bench', '--help']], [['bench', 'engine', '--help']],
  [['bench', 'transfer', '--help']], [['model', '--help']], [['model', 'tsc', '--help']], [['model', 'vmgenid', '--help']],
  [['model', 'psci', '--help']], [['model', 'sev', '--help']], [['sweep', '--help']], [['sweep', 'ring', '--help']],
  [['sweep', 'guest', '--help']], [['compare', '--help']], [['dirty-rate', '--help']],
])('%j', async (argv) => {
  const io = captureIo();
  expect(await runCli(argv, io)).toBe(0);
  const text = io.out();
  expect(text).toMatch(/^exit status:$/m);
  expect(text).toMatch(/^ {2}0 +success$/m);
  expect(text).toMatch(/^ {2}1 +\S/m);
  expect(text).toMatch(/^ {2}2 +usage error/m);
  expect(text).toMatch(/^ {2}130 +interrupted \(Ctrl-C\)/m);
});
