/**
 * The CLI as users run it: `src/` compiled with the package's own build config, so tests that
 * spawn `dirtylog` see compiled workers (started in about 0.1 s, where TypeScript workers take
 * a second or two under tsx) and never a stale `dist/`. The build goes to a cache directory
 * named after the hash of its inputs: test files share one build, and one made by an earlier
 * run is reused until a source changes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// A real path: started through a symlinked path, the program would be one more case of issue 7's first item.
const CACHE = join(realpathSync(join(ROOT, 'node_modules')), '.cache', 'dirtylog-built-cli');
const INPUTS = ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'build/engine.wasm'];
/** A build that takes longer than this was abandoned by a killed test run: take its lock over. */
const STALE_LOCK_MS = 180_000;

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => filesUnder(join(path, name)));
}

function inputsHash(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((p) => filesUnder(join(ROOT, p)))) {
    hash.update(file.slice(ROOT.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => void (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

async function build(dir: string): Promise<void> {
  // Types are checked by `npm run typecheck`; here only the emit matters.
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noCheck', '--outDir', join(dir, 'dist'), '--declaration', 'false']);
  // Laid out as the package is: dist/ next to build/engine.wasm and package.json (read by --version).
  cpSync(join(ROOT, 'build/engine.wasm'), join(dir, 'build/engine.wasm'));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  writeFileSync(join(dir, 'ready'), '');
}

/** Waits for another test file's build of the same sources (polling: it is another process). */
async function waitForOtherBuild(dir: string, lock: string): Promise<boolean> {
  for (;;) {
    if (existsSync(join(dir, 'ready'))) return true;
    const since = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : Infinity;
    if (since > STALE_LOCK_MS) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The path of the built `dist/cli/main.js`, building it first if these sources were never built. */
export async function builtCli(): Promise<string> {
  const dir = join(CACHE, inputsHash());
  const main = join(dir, 'dist/cli/main.js');
  mkdirSync(CACHE, { recursive: true });
  const lock = `${dir}.lock`;
  while (!existsSync(join(dir, 'ready'))) {
    try {
      mkdirSync(lock);
    } catch {
      if (await waitForOtherBuild(dir, lock)) break;
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    try {
      // Finished builds of other sources are of sources that no longer exist.
      for (const old of readdirSync(CACHE)) {
        if (join(CACHE, old) !== dir && existsSync(join(CACHE, old, 'ready'))) rmSync(join(CACHE, old), { recursive: true, force: true });
      }
      rmSync(dir, { recursive: true, force: true });
      await build(dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return main;
}

