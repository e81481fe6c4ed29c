/** A size that is not a whole number of bytes (`--mem 4096.4`, `1.0000001G`) is refused with a message that says so, never rounded. */
import { expect, it } from 'vitest';
import { parseSize } from '../src/run/size.ts';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

it.each([
  ['4096.4', 'got "4096.4", which is 4096.4 bytes'],
  ['1.0000001G', 'got "1.0000001G", which is 1073741931.3741824 bytes'],
  ['0.3K', 'got "0.3K", which is 307.2 bytes'],
  [4096.4, 'got 4096.4'],
])('%j', (value, got) => {
  expect(() => parseSize('memory', value)).toThrow(RangeError);
  expect(() => parseSize('memory', value)).toThrow(`memory must be a whole number of bytes, ${got}`);
});

it('dirtylog run --mem 4096.4 exits 2 naming --mem', async () => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(['run', '--strategy', 'ring', '--mem', '4096.4'], io)).toBe(2);
  expect(io.err()).toBe('dirtylog run: --mem must be a whole number of bytes, got "4096.4", which is 4096.4 bytes\n');
});
