/** What every CLI command is: an adapter from argv to a library call and an exit code. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Aborted on Ctrl-C; long commands stop and print what they have. */
  readonly signal: AbortSignal;
}

export type Command = (argv: readonly string[], io: Io) => Promise<number>;

/** Bad usage: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
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

