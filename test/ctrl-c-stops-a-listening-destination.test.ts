/**
 * Ctrl-C on `dirtylog migrate --listen` stops the destination at once, whether no source has
 * come yet or a migration is streaming in: it discards any partial guest, says so, and exits
 * 130; a source streaming to it then fails naming the destination gone, its guest still running.
 */
import { expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';

it('before a source connects: exit 130, aborted', async () => {
  const cli = spawnCli(await builtCli(), ['migrate', '--listen', '0']);
  await cli.waitFor('stdout', /^listening on 127\.0\.0\.1:\d+$/m);
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  expect(cli.stdout()).toMatch(/^destination: aborted: aborted before a source connected$/m);
}, 60_000);

it('mid-stream: exit 130, the partial guest discarded, the source told', async () => {
  const main = await builtCli();
  const dest = spawnCli(main, ['migrate', '--listen', '0']);
  await dest.waitFor('stdout', /^listening on 127\.0\.0\.1:\d+$/m);
  const port = /listening on 127\.0\.0\.1:(\d+)/.exec(dest.stdout())![1]!;
  const source = spawnCli(main, ['migrate', '--to', `127.0.0.1:${port}`, '--mem', '16MiB', '--bandwidth', '4MiB', '--write-rate', '1000']);
  await source.waitFor('stdout', /^setup: /m);
  dest.child.kill('SIGINT');
  const [d, s] = await Promise.all([dest.exited, source.exited]);
  expect(d.code).toBe(130);
  expect(dest.stdout()).toMatch(/^destination: aborted: .*discarded the partial guest/m);
  expect(s.code).toBe(1);
  expect(source.stdout()).toMatch(/^failed: failed in phase rounds after \d+ bytes: the destination.*; the guest runs on at the source, as it was$/m);
}, 60_000);
