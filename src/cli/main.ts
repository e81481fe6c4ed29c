#!/usr/bin/env node
/**
 * `dirtylog`: dispatches to one command module per subcommand. All behaviour lives in the
 * library; a command parses its options, calls the library and sets the exit code.
 */
import { readFileSync, realpathSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { closest, quote } from '../validate.ts';
import { KvmUnavailableError } from '../backend/kvm/index.ts';
import { CommandFailed, EXIT, UsageError, exitStatusHelp, type Command, type Io } from './command.ts';
import { interrupts } from './interrupt.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main: Command }> }> = {
  tour: { summary: 'ring against bitmap on the same workloads, verified, with a verdict (npm start)', load: () => import('./tour.ts') },
  run: { summary: 'vCPU threads and a collector thread: one workload under one strategy', load: () => import('./run.ts') },
  sweep: { summary: 'sweeps: ring size against the caches, guest size (1 GiB to 16 TiB) with the crossover', load: () => import('./sweep.ts') },
  compare: { summary: 'named comparisons (ring-sizes, strategies, guest-sizes, vcpus, pml, dirty-rate-modes, dirty-limit, protocols, migration-*), or your own', load: () => import('./compare.ts') },
  'dirty-rate': { summary: "QEMU's calc-dirty-rate in each mode, beside the rate the engine counted and each mode's error", load: () => import('./dirty-rate.ts') },
  migrate: { summary: 'live pre-copy migration over TCP: rounds, stop-and-copy, VM state, every page compared', load: () => import('./migrate.ts') },
  bench: { summary: 'benchmarks: engine kernels (wasm vs js), ring transfer between threads, /dev/kvm beside the engine', load: () => import('./bench.ts') },
  model: { summary: 'migration-state models: tsc, vmgenid, psci, sev', load: () => import('./model.ts') },
};

const DEFAULT_ARGV = ['tour'];

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`);
  return [
    'usage: dirtylog <command> [options]',
    '',
    'commands:',
    ...rows,
    '',
    'dirtylog help <command> [<subcommand>], or dirtylog <command> [<subcommand>] --help, for its options',
    'dirtylog --version (or -V) prints the version; with no command, dirtylog runs the tour',
    '',
    'Sizes are written as in QEMU, with binary suffixes: 64MiB, 512M, 1G, 16GiB, 4096K (1M = 1MB = 1MiB).',
    '',
    exitStatusHelp('a failure: a thread, the verification, a benchmark or an experiment\'s point failed'),
  ].join('\n');
}

/** The package's own version, read next to the code: ../../package.json from both src/cli and dist/cli. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [name = '', ...rest] = argv.length ? argv : DEFAULT_ARGV;
  if (name === '--version' || name === '-V') {
    io.stdout(`dirtylog ${version()}\n`);
    return EXIT.ok;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.stdout(usage());
    return EXIT.ok;
  }
  // `dirtylog help bench engine` is `dirtylog bench engine --help`.
  if (name === 'help') return runCli([...rest, '--help'], io);
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    const near = closest(name, Object.keys(COMMANDS));
    const what = name.startsWith('-') ? 'option' : 'command';
    io.stderr(`dirtylog: unknown ${what} ${quote(name)}${near ? `: did you mean ${near}?` : ''}\n\n${usage()}`);
    return EXIT.usage;
  }
  try {
    const { main } = await entry.load();
    return await main(rest, io);
  } catch (err) {
    // Library option checks throw TypeError and RangeError before anything starts: bad input, not a crash.
    if (err instanceof UsageError || err instanceof TypeError || err instanceof RangeError) {
      io.stderr(`dirtylog ${name}: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof CommandFailed || err instanceof KvmUnavailableError) {
      io.stderr(`dirtylog ${name}: ${err.message}\n`);
      return EXIT.failed;
    }
    io.stderr(`dirtylog ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.failed;
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

/** Status of a program whose reader went away, as if SIGPIPE had ended it (128 + 13), like any Unix tool in `| head`. */
const READER_GONE_EXIT = 141;

if (startedAsProgram()) {
  // The reader of our output has gone (`dirtylog ... | head -1`): nobody is left to tell, so no stack trace, and no point in finishing.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(READER_GONE_EXIT);
  });
  // Progress is best effort: a closed stderr must not end a run whose results still reach stdout.
  process.stderr.on('error', () => {});
  const controller = new AbortController();
  const ctrlC = interrupts({
    controller,
    write: (fd, text) => {
      try {
        writeSync(fd, text);
      } catch {
        // stdout or stderr already gone: exiting is all that is left.
      }
    },
    exit: (code) => process.exit(code),
  });
  process.on('SIGINT', ctrlC.onSigint);
  const io: Io = {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void (process.stderr.writable && process.stderr.write(t)),
    signal: controller.signal,
    stderrIsTerminal: process.stderr.isTTY === true,
    keepPartial: ctrlC.keepPartial,
  };
  process.exitCode = await runCli(process.argv.slice(2), io);
  ctrlC.commandFinished();
}
