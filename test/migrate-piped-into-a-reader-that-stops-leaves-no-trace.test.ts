/**
 * `dirtylog migrate | head -2`: the source exits 141 quietly, and its destination process,
 * which outlives it by a moment and then finds no parent to report to, ends without a stack
 * trace (it used to throw ERR_IPC_DISCONNECTED onto the terminal after the prompt came back).
 */
import { beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';

let main: string;
beforeAll(async () => void (main = await builtCli()), 180_000);

it('exits 141, and nothing reaches stderr from either process', async () => {
  const cli = spawnCli(main, ['migrate', '--mem', '16MiB', '--verify']);
  await cli.waitFor('stdout', /\n/);
  cli.child.stdout.destroy(); // like head -1 after its line
  const exit = await cli.exited;
  expect(exit.code).toBe(141);
  // The destination shares the source's stderr: give it time to finish and say anything it would.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(cli.stderr()).toBe('');
}, 60_000);
