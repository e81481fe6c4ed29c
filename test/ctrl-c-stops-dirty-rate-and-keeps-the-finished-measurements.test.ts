/**
 * Ctrl-C during `dirtylog dirty-rate`: it stops, prints the measurements that finished and
 * their errors, says it was interrupted and exits 130; with --json the document is the
 * measurements that finished, kind 'aborted'.
 */
import { beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';

let main: string;
beforeAll(async () => void (main = await builtCli()), 180_000);

const ARGS = ['dirty-rate', '--mem', '16MiB', '--calc-time', '200', '--measurements', '1000'];

it('keeps the finished measurements, marked interrupted, exit 130', async () => {
  const cli = spawnCli(main, ARGS);
  await cli.waitFor('stdout', /^measurement 2:/m);
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  expect(cli.stdout()).toMatch(/^error against the engine's count, over \d+ measurements:$/m);
  expect(cli.stdout()).toMatch(/^interrupted \(Ctrl-C\): \d+ measurements finished, above$/m);
});

it('--json: the measurements that finished, kind aborted', async () => {
  // Progress goes to stderr only on a terminal: give it a moment to measure, whatever it gets.
  const cli = spawnCli(main, [...ARGS, '--json']);
  await new Promise((r) => setTimeout(r, 1500));
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  const r = JSON.parse(cli.stdout()) as { kind: string; measurements: { modes: { mode: string }[] }[] };
  expect(r.kind).toBe('aborted');
  expect(Array.isArray(r.measurements)).toBe(true);
  for (const m of r.measurements) expect(m.modes.map((x) => x.mode)).toEqual(['page-sampling', 'dirty-ring']);
});
