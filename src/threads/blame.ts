/**
 * A worker's wait ran out on another thread: the error carries whom to blame, so the host
 * names that thread (not the one that noticed) when it fails the run.
 */
import type { Blamed } from './protocol.ts';

export class Blame extends Error {
  constructor(readonly blamed: Blamed, message: string) {
    super(message);
  }
}
