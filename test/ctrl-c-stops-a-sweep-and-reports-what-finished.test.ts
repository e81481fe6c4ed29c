/**
 * Ctrl-C during `dirtylog sweep ring`: it stops within a second, prints the points that
 * finished, writes the HTML report of them marked interrupted, and exits 130.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { STOP_BOUND_MS } from './support/stop-bound.ts';

let main: string;
const dir = mkdtempSync(join(tmpdir(), 'dirtylog-sweep-ctrl-c-'));
beforeAll(async () => void (main = await builtCli()), 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('stops within seconds, prints and reports the finished points, exit 130', async () => {
  const html = join(dir, 'r.html');
  const cli = spawnCli(main, ['sweep', 'ring', '--sizes', '256,1024,4096,16384', '--pattern', 'random', '--trials', '1', '--seconds', '0.4', '--mem', '64MiB', '--html', html]);
  // Progress goes to stderr in text mode: two points finished once the third starts.
  await cli.waitFor('stderr', /point 3 of 4/);
  const sent = performance.now();
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  expect(exit.at - sent).toBeLessThan(STOP_BOUND_MS);
  expect(cli.stdout()).toMatch(/^256 /m);
  expect(cli.stdout()).toMatch(/^1024 /m);
  expect(cli.stdout()).not.toMatch(/^16384 /m);
  expect(cli.stderr()).toMatch(/sweep ring: interrupted \(Ctrl-C\): 2 of 4 points finished/);
  expect(existsSync(html)).toBe(true);
  expect(readFileSync(html, 'utf8')).toMatch(/Interrupted \(Ctrl-C\): this report holds only what finished/);
}, 60_000);
