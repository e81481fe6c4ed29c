/**
 * Ctrl-C as people expect of a long command: the first one asks the command to stop (it prints
 * what finished, marked interrupted, and exits 130 within a second); a second one does not wait
 * any more: it prints what the command had finished so far and exits 130 at once.
 */
export interface InterruptEffects {
  /** Aborted by the first Ctrl-C: the command's Io signal. */
  readonly controller: AbortController;
  /** Writes synchronously to a file descriptor (1 stdout, 2 stderr): the process exits right after. */
  readonly write: (fd: 1 | 2, text: string) => void;
  readonly exit: (code: number) => void;
}

export interface Interrupts {
  /** The SIGINT listener. */
  readonly onSigint: () => void;
  /** Io.keepPartial: what a second Ctrl-C prints. */
  readonly keepPartial: (render: () => string) => void;
  /** The command printed its own output: a second Ctrl-C has nothing more to add. */
  readonly commandFinished: () => void;
}

export const INTERRUPTED_EXIT = 130;

export function interrupts({ controller, write, exit }: InterruptEffects): Interrupts {
  let partial: (() => string) | undefined;
  let finished = false;
  return {
    onSigint: () => {
      if (!controller.signal.aborted) {
        write(2, '\ndirtylog: interrupted: stopping, then printing what finished (Ctrl-C again to quit at once)\n');
        controller.abort(new Error('interrupted (Ctrl-C)'));
        return;
      }
      try {
        if (!finished && partial) write(1, ensureNewline(partial()));
      } finally {
        exit(INTERRUPTED_EXIT);
      }
    },
    keepPartial: (render) => {
      partial = render;
    },
    commandFinished: () => {
      finished = true;
    },
  };
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') || text === '' ? text : `${text}\n`;
}
