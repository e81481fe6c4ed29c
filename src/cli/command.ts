/** What every CLI command is: an adapter from argv to a library call and an exit code. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Aborted on Ctrl-C; long commands stop within a second and print what finished. */
  readonly signal: AbortSignal;
  /** stderr is a terminal: progress goes there even with --json, whose document keeps stdout. */
  readonly stderrIsTerminal?: boolean;
  /**
   * Keeps what a long command has finished so far, as it would print it. A second Ctrl-C does
   * not wait for the command to stop: it prints this and exits at once.
   */
  readonly keepPartial?: (render: () => string) => void;
}

export type Command = (argv: readonly string[], io: Io) => Promise<number>;

/** Bad usage: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command could not do its work for a reason its message gives in full (no stack): exit 1. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** The exit status section every help text ends with; `failed` says what status 1 means for the command. */
export function exitStatusHelp(failed: string, more: readonly string[] = []): string {
  return [
    'exit status:',
    '  0    success',
    `  1    ${failed}`,
    '  2    usage error: a bad or unknown option (the message on stderr names it)',
    ...more,
    '  130  interrupted (Ctrl-C): what finished is printed; a second Ctrl-C exits at once',
    '',
  ].join('\n');
}

/**
 * Where progress goes: stderr, unless the command prints a --json document and stderr is not a
 * terminal (a pipe or a file gets the document alone, a person watching gets progress too).
 */
export function progressWriter(io: Io, json: boolean | undefined): (line: string) => void {
  const show = !json || io.stderrIsTerminal === true;
  return (line) => {
    if (show) io.stderr(`${line}\n`);
  };
}
