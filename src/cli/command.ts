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
