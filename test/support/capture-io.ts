import type { Io } from '../../src/cli/command.ts';

/**
 * An Io that keeps what a command prints, for in-process CLI tests. `interrupted` hands the
 * command a signal that has already fired: a test of a usage error then cannot start a
 * minute-long benchmark if the error is not raised.
 */
export function captureIo(options: { stderrIsTerminal?: boolean; interrupted?: boolean } = {}): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    signal: options.interrupted ? AbortSignal.abort() : new AbortController().signal,
    ...(options.stderrIsTerminal !== undefined ? { stderrIsTerminal: options.stderrIsTerminal } : {}),
    out: () => out,
    err: () => err,
  };
}
