/** Ctrl-C during `dirtylog bench engine`: it stops within a second, prints the rows that finished, says it was interrupted and exits 130. */
import { beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { STOP_BOUND_MS } from './support/stop-bound.ts';

let main: string;
beforeAll(async () => void (main = await builtCli()), 180_000);

it('stops within seconds of Ctrl-C with the finished rows, marked interrupted, exit 130', async () => {
  const cli = spawnCli(main, ['bench', 'engine', '--guest', '1GiB']);
  await cli.waitFor('stderr', /^push \| 1GiB/m);
  const sent = performance.now();
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  expect(exit.at - sent).toBeLessThan(STOP_BOUND_MS);
  const out = cli.stdout();
  expect(out).toMatch(/^push\s+1GiB\s/m);
  expect(out).toMatch(/^interrupted \(Ctrl-C\): only the \d+ rows? above finished$/m);
  // 1GiB alone has 14 rows (5 ring kernels, 3 bitmap kernels x 3 densities): it did not run to the end.
  expect(out.match(/^\S+\s+1GiB\s/gm)!.length).toBeLessThan(14);
});
