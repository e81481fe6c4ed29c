/**
 * Progress goes to stderr when it is a terminal, even with --json (whose document stays alone
 * on stdout); with --json and stderr not a terminal (a pipe, a file, CI), there is none.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';

let main: string;
const dir = mkdtempSync(join(tmpdir(), 'dirtylog-progress-'));
beforeAll(async () => void (main = await builtCli()), 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ARGS = ['bench', 'engine', '--guest', '1GiB', '--kernel', 'push', '--json'];
const quoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

it('stderr a terminal (util-linux script gives it a pseudo-terminal): the row as progress, the document on stdout', async () => {
  const out = join(dir, 'bench.json');
  const command = [process.execPath, main, ...ARGS].map(quoted).join(' ');
  // script's own output is what the terminal showed: stderr's, since stdout goes to the file.
  const terminal = await new Promise<string>((resolve, reject) => {
    const child = spawn('script', ['-qec', `${command} > ${quoted(out)}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => void (text += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`script exited ${code}: ${text}`))));
  });
  expect(terminal).toMatch(/push \| 1GiB \| - \| entry \|/);
  expect((JSON.parse(readFileSync(out, 'utf8')) as { rows: unknown[] }).rows).toHaveLength(1);
});

it('stderr a pipe: no progress, the document on stdout', async () => {
  const cli = spawnCli(main, ARGS);
  expect((await cli.exited).code).toBe(0);
  expect(cli.stderr()).toBe('');
  expect((JSON.parse(cli.stdout()) as { rows: unknown[] }).rows).toHaveLength(1);
});
