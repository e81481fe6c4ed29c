/**
 * The events of something that runs and then finishes (a run, a migration): listeners by kind
 * from now on, or every event from the first as an async iterator that ends with `finished`.
 * Events are kept, so an iterator started late still sees them all.
 */
export class EventStream<E extends { readonly kind: string }> {
  readonly #events: E[] = [];
  readonly #listeners = new Set<(e: E) => void>();
  readonly #waiting: (() => void)[] = [];

  /** Call `fn` for every event of this kind from now on. */
  on<K extends E['kind']>(kind: K, fn: (e: Extract<E, { kind: K }>) => void): this {
    this.#listeners.add((e) => e.kind === kind && fn(e as Extract<E, { kind: K }>));
    return this;
  }

  /** Every event, from the first, ending with `finished`. */
  async *events(): AsyncGenerator<E> {
    for (let i = 0; ; i++) {
      while (i >= this.#events.length) await new Promise<void>((r) => this.#waiting.push(r));
      const e = this.#events[i]!;
      yield e;
      if (e.kind === 'finished') return;
    }
  }

  protected emit(e: E): void {
    this.#events.push(e);
    for (const l of this.#listeners) l(e);
    for (const wake of this.#waiting.splice(0)) wake();
  }
}
