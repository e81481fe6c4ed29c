/**
 * Every command and subcommand has its own help, reached as `dirtylog CMD [SUB] --help` or
 * `dirtylog help CMD [SUB]`: `bench engine --help` describes bench engine, not bench.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

async function help(argv: string[]): Promise<string> {
  const io = captureIo();
  expect(await runCli(argv, io)).toBe(0);
  expect(io.err()).toBe('');
  return io.out();
}

/** Each (sub)command, an option only its help lists, and one only a sibling's lists. */
const CASES: [string[], string, string | undefined][] = [
  [['run'], '--strategy', undefined],
  [['tour'], '--json', undefined],
  [['bench', 'engine'], '--kernel', '--trials'],
  [['bench', 'transfer'], '--trials', '--kernel'],
  [['model', 'tsc'], '--freq-khz', '--scenario'],
  [['model', 'vmgenid'], '--race', '--matrix'],
  [['model', 'psci'], '--matrix', '--race'],
  [['model', 'sev'], '--scenario', '--freq-khz'],
  [['sweep', 'ring'], '--pattern', '--dirty-pages'],
  [['sweep', 'guest'], '--dirty-pages', '--pattern'],
  [['compare'], '--scenarios', undefined],
  [['dirty-rate'], '--sample-pages', undefined],
];

describe.each(CASES)('%j', (command, own, sibling) => {
  it('--help prints its own usage, its options and not a sibling\'s', async () => {
    const text = await help([...command, '--help']);
    expect(text.startsWith(`usage: dirtylog ${command.join(' ')}`)).toBe(true);
    expect(text).toContain(own);
    if (sibling) expect(text).not.toContain(sibling);
  });

  it('help prints the same text', async () => {
    expect(await help(['help', ...command])).toBe(await help([...command, '--help']));
  });
});

it('help bench, help sweep and help model list their subcommands', async () => {
  expect(await help(['help', 'bench'])).toMatch(/^ {2}engine\s.*\n {2}transfer\s/m);
  expect(await help(['help', 'sweep'])).toMatch(/^ {2}ring\s[\s\S]*\n {2}guest\s/m);
  expect(await help(['help', 'model'])).toMatch(/^ {2}tsc\b/m);
});
