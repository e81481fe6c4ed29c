#!/usr/bin/env node
/**
 * `dirtylog`: dispatches to one command module per subcommand. All behaviour lives in the
 * library; a command parses its options, calls the library and sets the exit code.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError, type Command, type Io } from './command.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main: Command }> }> = {
  tour: { summary: 'ring against bitmap on the same workloads, verified, with a verdict (npm start)', load: () => import('./tour.ts') },
  run: { summary: 'vCPU threads and a collector thread: one workload under one strategy', load: () => import('./run.ts') },
  bench: { summary: 'benchmarks: engine kernels (wasm vs js), ring transfer between threads', load: () => import('./bench.ts') },
  model: { summary: 'migration-state models: tsc, vmgenid, psci, sev', load: () => import('./model.ts') },
};

const DEFAULT_ARGV = ['tour'];

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return ['usage: dirtylog <command> [options]', '', 'commands:', ...rows, '', 'dirtylog <command> --help for its options', ''].join('\n');
}

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv.length ? argv : DEFAULT_ARGV;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return 0;
  }
  const entry = name ? COMMANDS[name] : undefined;
  if (!entry) {
    io.stderr(`dirtylog: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    const { main } = await entry.load();
    return await main(rest, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof TypeError || err instanceof RangeError) {
      io.stderr(`dirtylog ${name}: ${err.message}\n`);
      return 2;
    }
    io.stderr(`dirtylog ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

/**
 * Whether Node started this file. npm's bin link (node_modules/.bin/dirtylog, and so npx) is a
 * symlink, and process.argv[1] keeps the link's path: compare real paths, not URLs.
 */
function startedAsProgram(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (startedAsProgram()) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted (Ctrl-C)')));
  const io: Io = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    signal: controller.signal,
  };
  process.exitCode = await runCli(process.argv.slice(2), io);
}
