import type { Io } from '../../src/cli/command.ts';

/** An Io that captures what a command prints. */
export function captureIo(): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    signal: new AbortController().signal,
    out: () => out,
    err: () => err,
  };
}
