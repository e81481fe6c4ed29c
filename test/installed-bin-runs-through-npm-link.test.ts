/**
 * The package as a user gets it: `npm pack` (which builds through `prepare`), the tarball
 * installed into a fresh folder, and `dirtylog` run through npm's bin link
 * (node_modules/.bin/dirtylog, a symlink). The slow test of the suite: it builds a copy of the
 * repository, installs from the registry and runs the tour.
 */
import { spawn } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
/** What a clone has that the build needs; the working tree's own build output is left out. */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'build', 'dist-check']);

interface Ran { code: number | null; stdout: string; stderr: string }

/** Runs a command with npm's own environment variables removed: an outer `npm test` must not configure the inner npm. */
function run(command: string, args: readonly string[], cwd: string, stdoutFile?: string): Promise<Ran> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const fd = stdoutFile === undefined ? undefined : openSync(stdoutFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => void (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (fd !== undefined) closeSync(fd);
      resolve({ code, stdout, stderr });
    });
  });
}

const dir = mkdtempSync(join(realpathSync(tmpdir()), 'dirtylog-installed-'));
const clone = join(dir, 'clone');
const app = join(dir, 'app');
const bin = join(app, 'node_modules/.bin/dirtylog');
let pack: Ran;
let packed: { filename: string; files: { path: string }[] };

beforeAll(async () => {
  cpSync(ROOT, clone, { recursive: true, filter: (src) => !NOT_COPIED.has(relative(ROOT, src).split(/[\\/]/)[0]!) });
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(clone, 'node_modules'));
  pack = await run('npm', ['pack', '--json', '--pack-destination', dir], clone);
  expect(pack.code, pack.stderr).toBe(0);
  packed = (JSON.parse(pack.stdout) as (typeof packed)[])[0]!;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const install = await run('npm', ['install', '--no-audit', '--no-fund', join(dir, packed.filename)], app);
  expect(install.code, install.stderr).toBe(0);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm pack', () => {
  it('builds through prepare without the compiler\'s converge notice, and ships no source map', () => {
    // The packed files' paths are in the JSON too, and src/migration/convergence.ts is one of them.
    expect(pack.stdout.replace(/"path": "[^"]*"/g, '') + pack.stderr).not.toMatch(/converge/i);
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['dist/index.js', 'dist/cli/main.js', 'build/engine.wasm', 'LICENSE', 'README.md', 'package.json']));
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
  });
});

describe('the installed package', () => {
  it('dirtylog --version prints the version', async () => {
    const r = await run(bin, ['--version'], app);
    expect(r).toEqual({ code: 0, stdout: `dirtylog ${version}\n`, stderr: '' });
  });

  it('dirtylog bench engine --kernel push --guest 1GiB --json > file writes one JSON document', async () => {
    const file = join(dir, 'bench.json');
    const r = await run(bin, ['bench', 'engine', '--kernel', 'push', '--guest', '1GiB', '--json'], app, file);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8')) as { kind: string; rows: { kernel: string; guest: string }[] };
    expect(report.kind).toBe('engine-bench');
    expect(report.rows.map((row) => [row.kernel, row.guest])).toEqual([['push', '1GiB']]);
  });

  it('dirtylog tour runs both workloads to a verdict', async () => {
    const r = await run(bin, ['tour'], app);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/^ {2}(winner: \S+|a tie): /gm)).toHaveLength(2);
  }, 180_000);

  it('exports the library and its package.json', async () => {
    const script = "import('dirtylog').then((m) => console.log(typeof m.startRun, require('dirtylog/package.json').version))";
    const r = await run(process.execPath, ['--input-type=commonjs', '-e', script], app);
    expect(r).toEqual({ code: 0, stdout: `function ${version}\n`, stderr: '' });
  });
});
