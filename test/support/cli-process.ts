/** `dirtylog` as a child process: its output as it arrives, waits for a line, and when and how it exited. */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** performance.now() when the process exited. */
  readonly at: number;
}

export interface CliProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves once the stream's output so far matches; rejects if the process ends first. */
  readonly waitFor: (stream: 'stdout' | 'stderr', pattern: RegExp) => Promise<void>;
  /** Resolves when the process has exited and its output is all read. */
  readonly exited: Promise<Exit>;
}

export function spawnCli(main: string, args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].on('data', (d: Buffer) => {
      text[stream] += d.toString();
      for (const w of [...waiters]) w();
    });
  }
  let exitAt = 0;
  child.on('exit', () => void (exitAt = performance.now()));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, at: exitAt || performance.now() })));
  const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!pattern.test(text[stream])) return;
      waiters.delete(check);
      resolve();
    };
    waiters.add(check);
    check();
    void exited.then(() => {
      if (!waiters.has(check)) return;
      waiters.delete(check);
      reject(new Error(`dirtylog ${args.join(' ')} exited before its ${stream} matched ${pattern}:\n--- stdout\n${text.stdout}\n--- stderr\n${text.stderr}`));
    });
  });
  return { child, stdout: () => text.stdout, stderr: () => text.stderr, waitFor, exited };
}
