/**
 * Ctrl-C while `dirtylog sweep guest` is inside one long synchronous step (building a 16 TiB
 * guest, then clear-log's first sync over every page of it): the point's thread is terminated,
 * so the command stops within seconds of Ctrl-C, not at the end of a point that runs about
 * 10 s alone (9.9 s measured), exit 130.
 */
import { beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { STOP_BOUND_MS } from './support/stop-bound.ts';

let main: string;
beforeAll(async () => void (main = await builtCli()), 180_000);

it('stops within 3 s of Ctrl-C and says no point finished', async () => {
  const cli = spawnCli(main, ['sweep', 'guest', '--sizes', '16TiB', '--strategy', 'clear-log', '--trials', '1']);
  await cli.waitFor('stderr', /point 1 of 1/);
  // Well inside the point: its arena takes about a second to build, its first sync seconds more.
  await new Promise((resolve) => setTimeout(resolve, 700));
  const sent = performance.now();
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  expect(exit.at - sent).toBeLessThan(STOP_BOUND_MS);
  expect(cli.stderr()).toMatch(/sweep guest: interrupted \(Ctrl-C\): 0 of 1 points finished/);
}, 60_000);
