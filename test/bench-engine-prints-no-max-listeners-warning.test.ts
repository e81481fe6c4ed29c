/** `dirtylog bench engine` measures many kernels under one Ctrl-C signal without Node's MaxListenersExceededWarning. */
import { beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';

let main: string;
beforeAll(async () => void (main = await builtCli()), 180_000);

it('six measurements (three kernels, two engines) leave stderr free of warnings', async () => {
  const cli = spawnCli(main, ['bench', 'engine', '--guest', '1GiB', '--kernel', 'push', '--kernel', 'harvest', '--kernel', 'reset-seq', '--json']);
  const exit = await cli.exited;
  expect(exit.code).toBe(0);
  expect((JSON.parse(cli.stdout()) as { rows: unknown[] }).rows).toHaveLength(3);
  expect(cli.stderr()).not.toMatch(/Warning/);
});
