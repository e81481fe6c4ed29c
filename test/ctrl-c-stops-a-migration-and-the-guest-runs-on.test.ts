/**
 * Ctrl-C in the middle of `dirtylog migrate`: it stops within a second or two, prints what
 * happened (the phase, the guest still running at the source, the destination's discarding of
 * its copy) and exits 130; the destination process it started is gone too.
 */
import { expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';

it('exits 130 with the guest running on at the source', async () => {
  const cli = spawnCli(await builtCli(), ['migrate', '--mem', '16MiB', '--bandwidth', '4MiB', '--write-rate', '1000']);
  await cli.waitFor('stdout', /^round 1|^setup: /m);
  const at = performance.now();
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  expect(exit.at - at).toBeLessThan(5000);
  expect(cli.stdout()).toMatch(/^aborted: aborted in phase rounds after \d+ bytes; the guest runs on at the source, as it was$/m);
  expect(cli.stdout()).toMatch(/^destination: failed: .*discarded the partial guest/m);
  expect(cli.stderr()).toMatch(/migrate: interrupted \(Ctrl-C\) in phase rounds: the guest runs on at the source; the destination discarded its copy/);
}, 60_000);
