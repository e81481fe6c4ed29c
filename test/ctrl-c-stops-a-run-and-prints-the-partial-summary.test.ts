/** Ctrl-C during `dirtylog run`: it stops within a second, prints the totals of what ran, marked interrupted, and exits 130. */
import { beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { STOP_BOUND_MS } from './support/stop-bound.ts';

let main: string;
beforeAll(async () => void (main = await builtCli()), 180_000);

it('stops within seconds of Ctrl-C with the partial totals, marked interrupted, exit 130', async () => {
  const cli = spawnCli(main, ['run', '--strategy', 'ring', '--mem', '16MiB', '--seconds', '60']);
  await cli.waitFor('stdout', /^iteration 1:/m);
  const sent = performance.now();
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  expect(exit.at - sent).toBeLessThan(STOP_BOUND_MS);
  expect(cli.stdout()).toMatch(/^totals: \d+ iterations/m);
  expect(cli.stdout()).toMatch(/^interrupted \(Ctrl-C\): stopped early, the results above are partial$/m);
});
