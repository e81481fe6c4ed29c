/** Ctrl-C during `dirtylog bench transfer`: it stops within a second, prints the ring sizes that finished, marked interrupted, exit 130, no stack trace. */
import { beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { STOP_BOUND_MS } from './support/stop-bound.ts';

let main: string;
beforeAll(async () => void (main = await builtCli()), 180_000);

it('stops within seconds of Ctrl-C with the finished rows, marked interrupted, exit 130', async () => {
  const cli = spawnCli(main, ['bench', 'transfer', '--trials', '1', '--seconds', '1']);
  await cli.waitFor('stderr', /^512 \| wasm/m);
  const sent = performance.now();
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  expect(exit.at - sent).toBeLessThan(STOP_BOUND_MS);
  expect(cli.stdout()).toMatch(/^512\s+wasm\s/m);
  expect(cli.stdout()).not.toMatch(/^65536\s/m);
  expect(cli.stdout()).toMatch(/^interrupted \(Ctrl-C\)/m);
  expect(cli.stderr()).not.toMatch(/^\s+at /m);
});
