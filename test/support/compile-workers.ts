/**
 * vitest globalSetup: compile src/ once (types are checked by `npm run typecheck`, not here)
 * into dist-test/, and let the worker shim start the compiled entries. A worker started from
 * source compiles its whole module graph with tsx, about 0.6 s each, three per run.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}dist-test/`;

export default function setup(): void {
  rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`, '--noCheck', '--outDir', out, '--declaration', 'false'], { stdio: 'inherit' });
  process.env.DIRTYLOG_COMPILED_WORKERS = pathToFileURL(out).href;
}
