/**
 * The destination of a live migration: it accepts one connection, builds the guest the setup
 * describes (paused), refuses before any page what it cannot take (the PSCI firmware), writes
 * each page as it arrives (its hash checked), restores the VM state at the end, resumes the
 * guest and tells the source; then it compares every page with the hashes of the source's
 * frozen memory and reports any difference by page number.
 *
 * A source that goes away, cancels, or sends a bad record before the switchover leaves nothing
 * behind: the partial guest is discarded and the result says so, with the phase and the bytes
 * received.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ABI } from '../layout.ts';
import { DirtySet } from '../run/dirty-set.ts';
import { startVm, type RunningVm } from '../run/running-vm.ts';
import { rejectUnknownKeys, requireInteger, requireObject, requireSignal } from '../validate.ts';
import { Channel, ChannelError, describeRecord } from './channel.ts';
import type { MigrationPhase, Proof } from './result.ts';
import { decodeCancel, decodeCounts, decodeSetup, decodeStateRecord, type SetupRecord } from './records.ts';
import { PAGE_FLAG_SHARED, RECORD, type StreamRecord } from './stream.ts';
import { DestinationState, type DestinationStateOptions, type StateOutcome } from './vm-state.ts';

export interface ReceiveOptions {
  /** This host's side of the VM state: its PSCI kernel, its clock's skew. */
  readonly state?: DestinationStateOptions;
  /** Bounded waits: the longest silence of the source, or the longest it may take no bytes from this side. @default { idleMs: 60000 } */
  readonly timeouts?: { readonly idleMs?: number };
  readonly signal?: AbortSignal;
}

export interface ListenOptions extends ReceiveOptions {
  /** 0 picks a free port (see `listener.port`). @default 0 */
  readonly port?: number;
  /** The address to listen on; '0.0.0.0' for another host. @default '127.0.0.1' */
  readonly host?: string;
  /** How long to wait for the source to connect. @default 60000 */
  readonly acceptTimeoutMs?: number;
}

interface DestinationRecord {
  readonly rounds: number;
  readonly pagesReceived: number;
  readonly bytesReceived: number;
  readonly state: readonly StateOutcome[];
  readonly proof: Proof | undefined;
  readonly verdict: string;
}

/** migrated: the guest runs here, every page equal · failed / aborted: `vm` only if the guest was resumed here. */
export type DestinationResult =
  | (DestinationRecord & { readonly kind: 'migrated'; readonly vm: RunningVm })
  | (DestinationRecord & { readonly kind: 'failed'; readonly phase: MigrationPhase; readonly reason: string; readonly vm?: RunningVm })
  | (DestinationRecord & { readonly kind: 'aborted'; readonly phase: MigrationPhase; readonly vm?: RunningVm });

/** How many differing pages the verdict lists by number (all are counted). */
const DIFFERING_LISTED = 100;

export interface MigrationListener {
  readonly host: string;
  readonly port: number;
  /** Settles once the one migration this listener takes has ended (or none came in time). */
  readonly result: Promise<DestinationResult>;
  close(): void;
}

/** Listen for one incoming migration. Resolves once listening (the port is known). */
export async function listenForMigration(options: ListenOptions = {}): Promise<MigrationListener> {
  const o = requireObject('options', options);
  rejectUnknownKeys('options', o, ['port', 'host', 'acceptTimeoutMs', 'state', 'timeouts', 'signal']);
  const port = requireInteger('port', o.port ?? 0, 0, 65535);
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host === '')) throw new TypeError('host must be an address to listen on, e.g. "127.0.0.1" or "0.0.0.0"');
  const host = (o.host) ?? '127.0.0.1';
  const acceptMs = requireInteger('acceptTimeoutMs', o.acceptTimeoutMs ?? 60_000, 10, 86_400_000);
  const signal = requireSignal('signal', o.signal);
  const receive = checkReceive(o);
  const server: Server = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new RangeError(`port ${port} on ${host}: cannot listen (${err.code ?? err.message}): pick another port, or 0 for any free one`)));
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const result = new Promise<DestinationResult>((resolve) => {
    const none = (reason: string, kind: 'failed' | 'aborted') => {
      server.close();
      const base = { rounds: 0, pagesReceived: 0, bytesReceived: 0, state: [], proof: undefined, phase: 'connect' as const };
      resolve(kind === 'aborted' ? { kind, ...base, verdict: `aborted before a source connected` } : { kind, ...base, reason, verdict: reason });
    };
    const timer = setTimeout(() => none(`no source connected to ${host}:${bound} within ${acceptMs} ms`, 'failed'), acceptMs);
    const onAbort = () => {
      clearTimeout(timer);
      none('aborted', 'aborted');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    server.once('connection', (socket: Socket) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      server.close(); // one migration per listener
      socket.resume();
      void receiveMigration(socket, receive).then(resolve);
    });
  });
  return { host, port: bound, result, close: () => void server.close() };
}

function checkReceive(o: Record<string, unknown>): ReceiveOptions {
  const t = requireObject('timeouts', o.timeouts);
  rejectUnknownKeys('timeouts', t, ['idleMs']);
  requireInteger('timeouts.idleMs', t.idleMs ?? 60_000, 10, 3_600_000);
  const s = requireObject('state', o.state);
  rejectUnknownKeys('state', s, ['psciHost', 'clockSkewMs']);
  new DestinationState(s); // checks its fields now, before any connection
  return { state: s, timeouts: t ?? {}, ...(o.signal ? { signal: o.signal as AbortSignal } : {}) };
}

/** Receive one migration on a connected socket. Never rejects: the result says how it ended. */
export function receiveMigration(socket: Socket, options: ReceiveOptions = {}): Promise<DestinationResult> {
  return new DestinationSession(socket, options).run();
}

class Refuse extends Error {
  constructor(readonly reason: string, readonly state?: StateOutcome[]) {
    super(reason);
  }
}

class DestinationSession {
  readonly #ch: Channel;
  readonly #idleMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #state: DestinationState;
  #phase: MigrationPhase = 'setup';
  #vm: RunningVm | undefined;
  #resumed = false;
  #rounds = 0;
  #pagesReceived = 0;
  #outcomes: StateOutcome[] = [];
  #proof: Proof | undefined;
  #setup: SetupRecord | undefined;
  #received: DirtySet | undefined;
  #hashes: Uint32Array | undefined;
  #shared: Uint8Array | undefined;

  constructor(socket: Socket, o: ReceiveOptions) {
    this.#signal = o.signal;
    this.#ch = new Channel(socket, 'the source', o.signal, o.timeouts?.idleMs ?? 60_000);
    this.#idleMs = o.timeouts?.idleMs ?? 60_000;
    this.#state = new DestinationState(o.state ?? {});
  }

  async run(): Promise<DestinationResult> {
    try {
      await this.#receive();
      return this.#result();
    } catch (err) {
      return await this.#failed(err);
    } finally {
      this.#ch.destroy();
    }
  }

  async #receive(): Promise<void> {
    const setup = await this.#next('the setup');
    if (setup.type !== 'json' || setup.code !== RECORD.SETUP) throw this.#outOfTurn(setup, 'SETUP first');
    await this.#onSetup(setup.value);
    this.#phase = 'rounds';
    for (;;) {
      const r = await this.#next('pages');
      if (r.type === 'pages') this.#onPages(r);
      else if (r.type === 'json' && r.code === RECORD.ROUND) {
        decodeCounts('round', r.value, ['round', 'pagesSent']);
        this.#rounds++;
      } else if (r.type === 'json' && r.code === RECORD.STATE) {
        this.#phase = 'stop-and-copy';
        await this.#onState(r.value);
      } else if (r.type === 'json' && r.code === RECORD.END && this.#phase === 'stop-and-copy') {
        await this.#onEnd(r.value);
        break;
      } else if (r.type === 'json' && r.code === RECORD.CANCEL) {
        const c = decodeCancel(r.value);
        throw new ChannelError({ kind: 'peer-gone', message: 'cancelled' }, `the source cancelled the migration in phase ${c.phase}: ${c.reason}`);
      } else throw this.#outOfTurn(r, this.#phase === 'rounds' ? 'PAGES, ROUND or STATE' : 'PAGES or END');
    }
    this.#phase = 'proof';
    await this.#prove();
  }

  async #onSetup(value: unknown): Promise<void> {
    const setup = decodeSetup(value);
    this.#setup = setup;
    const check = this.#state.checkSetup(setup.state);
    if (check.kind === 'refused') throw new Refuse(check.reason);
    this.#ch.reader.pages = setup.pages;
    try {
      this.#vm = await startVm({ ...setup.vm, contents: true, paused: true, ...(this.#signal ? { signal: this.#signal } : {}) });
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) throw new Refuse(`the setup's guest cannot be built here: ${err.message}`);
      throw err;
    }
    this.#received = DirtySet.empty(setup.pages);
    this.#hashes = new Uint32Array(2 * setup.pages);
    this.#shared = new Uint8Array(setup.pages).fill(2); // 2 = never received
    await this.#ch.sendJson(RECORD.ACCEPT, {});
  }

  #onPages(r: Extract<StreamRecord, { type: 'pages' }>): void {
    if (this.#phase !== 'rounds' && this.#phase !== 'stop-and-copy') throw this.#outOfTurn(r, 'no pages now');
    const memory = this.#vm!.memory!;
    for (let i = 0; i < r.pages.length; i++) {
      const p = r.pages[i]!;
      memory.set(r.data.subarray(i * ABI.PAGE_SIZE, (i + 1) * ABI.PAGE_SIZE), p * ABI.PAGE_SIZE);
      this.#hashes![2 * p] = r.hashes[2 * i]!;
      this.#hashes![2 * p + 1] = r.hashes[2 * i + 1]!;
      this.#shared![p] = r.flags[i]! & PAGE_FLAG_SHARED;
      this.#received!.add(p);
    }
    this.#pagesReceived += r.pages.length;
  }

  async #onState(value: unknown): Promise<void> {
    const rec = decodeStateRecord(value);
    const shared = this.#shared!;
    const { outcomes } = this.#state.restore(rec.state, { sharedAtLastCopy: (p) => (shared[p] === 2 ? undefined : shared[p] === 1) });
    const vm = this.#vm!;
    try {
      vm.loadVcpus(rec.vcpus as never);
      outcomes.push({ model: 'vcpus', kind: 'ok', detail: `${vm.options.vcpus} vCPUs' guest state loaded` });
    } catch (err) {
      if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
      outcomes.push({ model: 'vcpus', kind: 'refused', detail: `vCPU state: ${err.message}` });
    }
    vm.stamp = rec.stamp;
    this.#outcomes = outcomes;
    const refused = outcomes.filter((o) => o.kind === 'refused');
    if (refused.length) throw new Refuse(refused.map((o) => o.detail).join('; '), outcomes);
  }

  async #onEnd(value: unknown): Promise<void> {
    const end = decodeCounts('end', value, ['pagesSent', 'rounds', 'finalPages']);
    const missing = this.#setup!.pages - this.#received!.count;
    if (missing) throw new Refuse(`the source ended its stream with ${missing} pages never sent (first: ${firstMissing(this.#received!)})`);
    if (end.pagesSent !== this.#pagesReceived) throw new Refuse(`the source says it sent ${end.pagesSent} pages, ${this.#pagesReceived} arrived`);
    const t0 = performance.now();
    this.#phase = 'switchover';
    this.#vm!.resume();
    this.#resumed = true;
    await this.#ch.sendJson(RECORD.RESUMED, { state: this.#outcomes, resumeMs: performance.now() - t0 });
  }

  /** Compare every page's hash (as received, checked on arrival) with the source's frozen memory. */
  async #prove(): Promise<void> {
    const pages = this.#setup!.pages;
    const compared = DirtySet.empty(pages);
    const differing: number[] = [];
    let differingCount = 0;
    for (;;) {
      const r = await this.#next('the proof');
      if (r.type === 'json' && r.code === RECORD.DONE) {
        decodeCounts('done', r.value, ['pages']);
        break;
      }
      if (r.type !== 'proof') throw this.#outOfTurn(r, 'PROOF or DONE');
      for (let i = 0; i < r.hashes.length / 2; i++) {
        const p = r.first + i;
        if (compared.has(p)) throw this.#outOfTurn(r, `a hash of page ${p} once`);
        compared.add(p);
        if (this.#hashes![2 * p] !== r.hashes[2 * i] || this.#hashes![2 * p + 1] !== r.hashes[2 * i + 1]) {
          if (differingCount++ < DIFFERING_LISTED) differing.push(p);
        }
      }
    }
    if (compared.count !== pages) throw new Refuse(`the source's proof covered ${compared.count} of ${pages} pages`);
    this.#proof = { pagesCompared: pages, differingCount, differing };
    await this.#ch.sendJson(RECORD.VERDICT, this.#proof);
    await this.#ch.close();
  }

  #next(what: string): Promise<StreamRecord> {
    return this.#ch.next(this.#idleMs, what);
  }

  #outOfTurn(r: StreamRecord, expected: string): ChannelError {
    return new ChannelError({ kind: 'peer-gone', message: 'out of order' }, `${describeRecord(r)} is out of order: expected ${expected} in phase ${this.#phase}`);
  }

  #base(): DestinationRecord {
    return {
      rounds: this.#rounds, pagesReceived: this.#pagesReceived, bytesReceived: this.#ch.reader.received, state: this.#outcomes, proof: this.#proof, verdict: '',
    };
  }

  #result(): DestinationResult {
    const base = this.#base();
    const p = this.#proof!;
    const broken = this.#outcomes.filter((o) => o.kind !== 'ok');
    if (p.differingCount || broken.length) {
      const reason = [
        ...(p.differingCount ? [`${p.differingCount} of ${p.pagesCompared} pages differ from the source's (first: ${p.differing.slice(0, 8).join(', ')})`] : []),
        ...broken.map((o) => o.detail),
      ].join('; ');
      return { kind: 'failed', ...base, phase: 'proof', reason, vm: this.#vm!, verdict: `the guest runs here, but not faithfully: ${reason}` };
    }
    return { kind: 'migrated', ...base, vm: this.#vm!, verdict: `received ${this.#pagesReceived} pages in ${this.#rounds} round${this.#rounds === 1 ? '' : 's'} and the final copy; every one of the ${p.pagesCompared} pages equals the source's, the VM state is restored, and the guest runs here` };
  }

  async #failed(err: unknown): Promise<DestinationResult> {
    let reason: string;
    if (err instanceof Refuse) {
      reason = err.reason;
      // Tell the source, so it keeps its guest and says why.
      try {
        await this.#ch.sendJson(RECORD.REFUSE, { phase: this.#phase, reason, ...(err.state ? { state: err.state } : {}) });
        await this.#ch.close(500);
      } catch {
        // The source is gone: nothing to tell.
      }
    } else if (err instanceof ChannelError || err instanceof TypeError || err instanceof RangeError) {
      reason = err instanceof ChannelError ? err.message : `${this.#phase === 'setup' ? 'the setup record' : 'a record'} is invalid: ${err.message}`;
      if (!(err instanceof ChannelError)) {
        try {
          await this.#ch.sendJson(RECORD.REFUSE, { phase: this.#phase, reason });
        } catch {
          // As above.
        }
      }
    } else throw err;
    const base = { ...this.#base(), phase: this.#phase };
    const where = `in phase ${this.#phase} after ${base.bytesReceived} bytes (${this.#ch.reader.records} records)`;
    const aborted = this.#signal?.aborted === true;
    if (this.#resumed) {
      const vm = this.#vm!;
      const verdict = `${aborted ? 'aborted' : 'failed'} ${where}, after the guest was resumed here: ${reason}; the guest runs here`;
      return aborted ? { kind: 'aborted', ...base, vm, verdict } : { kind: 'failed', ...base, reason, vm, verdict };
    }
    await this.#vm?.stop();
    const verdict = `${aborted ? 'aborted' : 'failed'} ${where}: ${reason}; discarded the partial guest (${this.#pagesReceived} pages received)`;
    return aborted ? { kind: 'aborted', ...base, verdict } : { kind: 'failed', ...base, reason, verdict };
  }
}

function firstMissing(received: DirtySet): number {
  for (let p = 0; p < received.pages; p++) if (!received.has(p)) return p;
  return -1;
}
