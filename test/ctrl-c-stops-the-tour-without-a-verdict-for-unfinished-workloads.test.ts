/** Ctrl-C during `dirtylog tour`: it stops within a second, gives no verdict for a workload that did not finish and prints nothing for one that never ran. */
import { beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { STOP_BOUND_MS } from './support/stop-bound.ts';

let main: string;
beforeAll(async () => void (main = await builtCli()), 180_000);

it('stops within seconds of Ctrl-C, no winner, the second workload not printed, exit 130', async () => {
  const cli = spawnCli(main, ['tour']);
  // The workload's heading: printed as its first strategy starts.
  await cli.waitFor('stdout', /^heavy random writes/m);
  const sent = performance.now();
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  expect(exit.at - sent).toBeLessThan(STOP_BOUND_MS);
  const out = cli.stdout();
  expect(out).toMatch(/^heavy random writes/m);
  expect(out).toMatch(/^ {2}no verdict: interrupted/m);
  expect(out).not.toMatch(/winner/);
  expect(out).not.toMatch(/sparse writes/);
  expect(out).toMatch(/^interrupted \(Ctrl-C\): 2 of 2 workloads did not finish$/m);
});
