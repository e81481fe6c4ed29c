/**
 * `dirtylog run | head -1`: when the reader of stdout goes away, dirtylog exits at once and
 * quietly (status 141, as a Unix tool ended by SIGPIPE), with no EPIPE stack trace.
 */
import { beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { STOP_BOUND_MS } from './support/stop-bound.ts';

let main: string;
beforeAll(async () => void (main = await builtCli()), 180_000);

it('exits 141 within a second of the next line, nothing on stderr', async () => {
  const cli = spawnCli(main, ['run', '--strategy', 'ring', '--mem', '16MiB', '--seconds', '60']);
  await cli.waitFor('stdout', /\n/);
  const closed = performance.now();
  cli.child.stdout.destroy(); // like head -1 after its line: the pipe has no reader any more
  const exit = await cli.exited;
  expect(exit.code).toBe(141);
  // The next iteration line comes within --interval (100 ms); the run does not go on for 60 s.
  expect(exit.at - closed).toBeLessThan(STOP_BOUND_MS);
  expect(cli.stderr()).toBe('');
});
