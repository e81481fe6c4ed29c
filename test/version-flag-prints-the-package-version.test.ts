/** `dirtylog --version` and `-V` print the package's version and exit 0. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

it.each([['--version'], ['-V']])('%s', async (flag) => {
  const io = captureIo();
  expect(await runCli([flag], io)).toBe(0);
  expect(io.out()).toBe(`dirtylog ${version}\n`);
  expect(io.err()).toBe('');
});
