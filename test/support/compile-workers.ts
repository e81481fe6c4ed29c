/**
 * vitest globalSetup: compile src/ once per set of sources (test/support/built-cli.ts, cached
 * by hash) and let the worker shim start the compiled entries. A worker started from source
 * compiles its whole module graph with tsx, about 0.6 s each, three per run; compiled, it
 * starts in about 0.1 s, and it is the code the package ships.
 */
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtCli } from './built-cli.ts';

export default async function setup(): Promise<void> {
  const main = await builtCli(); // <build>/dist/cli/main.js
  process.env.DIRTYLOG_COMPILED_WORKERS = pathToFileURL(`${dirname(dirname(main))}/`).href;
}
