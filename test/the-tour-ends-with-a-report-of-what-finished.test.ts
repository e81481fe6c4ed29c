/**
 * The tour ends by writing its HTML report and printing its path; interrupted, it still
 * writes one, holding what finished and saying so.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';

let main: string;
const dir = mkdtempSync(join(tmpdir(), 'dirtylog-tour-report-'));
beforeAll(async () => void (main = await builtCli()), 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('interrupted in its second workload: the report has the first, marked interrupted, and its path is printed', async () => {
  const html = join(dir, 'tour.html');
  const cli = spawnCli(main, ['tour', '--html', html]);
  await cli.waitFor('stdout', /^sparse writes/m);
  cli.child.kill('SIGINT');
  const exit = await cli.exited;
  expect(exit.code).toBe(130);
  expect(cli.stdout()).toContain(`report: ${html}\n`);
  const page = readFileSync(html, 'utf8');
  expect(page).toMatch(/Interrupted \(Ctrl-C\)/);
  expect(page).toMatch(/heavy random writes, 64 MiB guest: (bitmap|ring) wins|heavy random writes, 64 MiB guest: a tie/);
  expect(page).toContain('data-chart="tour-writesPerSecond"');
  // Ctrl-C means stop: the sweeps that follow the workloads did not start.
  expect(page).not.toContain('id="ring-sweep"');
}, 60_000);
