/**
 * Start a migration destination in a process of its own on loopback, as `dirtylog migrate`
 * does without --to: QEMU's source and destination are separate processes, and the
 * destination's work (checking and writing every page) must not share the source's thread.
 * Built, the entry is a .js file next to this module; from source it runs through tsx, or from
 * the compiled tree that the tests build (DIRTYLOG_COMPILED_WORKERS), as the worker shim does.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { DestinationResult } from './destination.ts';
import type { DestinationStateOptions } from './vm-state.ts';

export interface DestinationProcessOptions {
  readonly state?: DestinationStateOptions;
  /** How long the migrated guest runs on the destination before the process stops it. @default 100 */
  readonly runAfterMs?: number;
  readonly acceptTimeoutMs?: number;
}

/** The destination's result as it crosses the process boundary: its VM stays behind. */
export type DestinationSummary = Omit<DestinationResult, 'vm'> & { readonly guestRan: boolean; readonly writesAfterResume: number };

export type DestinationMessage =
  | { readonly kind: 'listening'; readonly port: number }
  | { readonly kind: 'result'; readonly result: DestinationSummary }
  | { readonly kind: 'error'; readonly message: string };

export interface SpawnedDestination {
  readonly port: number;
  /** The destination's account, or why there is none (it died, or said nothing in time). */
  readonly result: Promise<{ kind: 'reported'; summary: DestinationSummary } | { kind: 'lost'; reason: string }>;
  /** The process itself: a test may kill it mid-stream. */
  readonly child: ChildProcess;
  kill(): void;
}

const FROM_SOURCE = import.meta.url.endsWith('.ts');

function entry(): { path: string; execArgv: string[] } {
  if (!FROM_SOURCE) return { path: new URL('./destination-process.js', import.meta.url).pathname, execArgv: [] };
  const compiled = process.env.DIRTYLOG_COMPILED_WORKERS;
  if (compiled) return { path: new URL('migration/destination-process.js', compiled).pathname, execArgv: [] };
  return { path: new URL('./destination-process.ts', import.meta.url).pathname, execArgv: ['--import', 'tsx'] };
}

/** Spawn a destination; resolves once it listens. Bounded: a destination that does not listen within `startMs` is killed. */
export function spawnDestination(options: DestinationProcessOptions = {}, startMs = 20_000): Promise<SpawnedDestination> {
  const { path, execArgv } = entry();
  const child = fork(path, [JSON.stringify(options)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const result = new Promise<{ kind: 'reported'; summary: DestinationSummary } | { kind: 'lost'; reason: string }>((resolve) => {
    child.on('message', (m: DestinationMessage) => {
      if (m.kind === 'result') resolve({ kind: 'reported', summary: m.result });
      else if (m.kind === 'error') resolve({ kind: 'lost', reason: `the destination process failed: ${m.message}` });
    });
    child.on('exit', (code, signal) => resolve({ kind: 'lost', reason: `the destination process ended (${signal ?? `exit ${code}`}) before it reported` }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the destination process did not listen within ${startMs} ms`));
    }, startMs);
    child.on('message', (m: DestinationMessage) => {
      if (m.kind !== 'listening') return;
      clearTimeout(timer);
      resolve({ port: m.port, result, child, kill: () => void child.kill('SIGKILL') });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the destination process ended (${signal ?? `exit ${code}`}) before it listened`));
    });
  });
}
