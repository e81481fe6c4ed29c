/**
 * One side of a migration connection: records out (in order, numbered, with backpressure) and
 * records in (decoded as they arrive, refused whole when bad). Every wait is bounded and ends
 * when the connection fails or the signal aborts; the error says what happened and how far the
 * stream had got.
 */
import type { Socket } from 'node:net';
import { encodeJson, preamble, RecordReader, recordName, StreamError, type RecordType, type StreamRecord } from './stream.ts';

/** Why a connection stopped being usable. */
export type ChannelFailure =
  | { readonly kind: 'peer-gone'; readonly message: string }
  | { readonly kind: 'stream'; readonly error: StreamError }
  | { readonly kind: 'timeout'; readonly message: string }
  | { readonly kind: 'aborted' };

/** Bytes a side may have queued for the socket before it waits for them to leave. */
const WRITE_AHEAD = 4 * 2 ** 20;

export class ChannelError extends Error {
  constructor(readonly failure: ChannelFailure, message: string) {
    super(message);
    this.name = 'ChannelError';
  }
}

export class Channel {
  readonly reader = new RecordReader();
  readonly #socket: Socket;
  readonly #queue: StreamRecord[] = [];
  #waiter: (() => void) | undefined;
  #failure: ChannelFailure | undefined;
  #ended = false;
  #seq = 0;
  #sent = 0;
  readonly #peer: string;
  readonly #stallMs: number;

  /**
   * `peer` names the other side in messages ("the destination"); `stallMs` bounds how long a
   * write may wait for the peer to take bytes (a peer that is alive but stopped reading).
   */
  constructor(socket: Socket, peer: string, signal?: AbortSignal, stallMs = 60_000) {
    this.#socket = socket;
    this.#peer = peer;
    this.#stallMs = stallMs;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#data(chunk));
    socket.on('end', () => this.#end());
    socket.on('error', (err: NodeJS.ErrnoException) => this.#fail({ kind: 'peer-gone', message: `${peer}: ${err.code ?? err.message}` }));
    socket.on('close', () => {
      this.#end();
      this.#fail({ kind: 'peer-gone', message: `${peer} closed the connection` });
    });
    if (signal) {
      const abort = () => {
        this.#fail({ kind: 'aborted' });
        socket.destroy();
      };
      if (signal.aborted) abort();
      else {
        signal.addEventListener('abort', abort, { once: true });
        socket.once('close', () => signal.removeEventListener('abort', abort));
      }
    }
    this.#write(preamble());
  }

  /** Bytes written so far: the byte offset the stream reached. */
  get bytesSent(): number {
    return this.#sent;
  }

  get failure(): ChannelFailure | undefined {
    return this.#failure;
  }

  /** The next record's sequence number (for encoders that build whole records). */
  nextSeq(): number {
    return this.#seq++;
  }

  /**
   * Write one whole record; resolves at once while less than WRITE_AHEAD bytes wait to leave,
   * else when the socket has drained (backpressure). A page record is larger than the socket's
   * own 16 KiB mark, so waiting on that would keep one record in flight at a time.
   */
  async send(record: Uint8Array): Promise<void> {
    this.#check();
    this.#write(record);
    if (this.#socket.writableLength > WRITE_AHEAD) {
      const stalled = await new Promise<boolean>((resolve) => {
        const done = (timedOut: boolean) => {
          clearTimeout(timer);
          this.#socket.off('drain', drained);
          this.#socket.off('close', drained);
          resolve(timedOut);
        };
        const drained = () => done(false);
        const timer = setTimeout(() => done(true), this.#stallMs);
        this.#socket.on('drain', drained);
        this.#socket.on('close', drained);
      });
      if (stalled && !this.#failure) {
        this.#fail({ kind: 'timeout', message: `${this.#peer} took no bytes for ${this.#stallMs} ms while this side was writing (${this.#socket.writableLength} bytes waiting)` });
        this.#socket.destroy();
      }
      this.#check();
    }
  }

  sendJson(type: RecordType, value: unknown): Promise<void> {
    return this.send(encodeJson(type, this.nextSeq(), value));
  }

  /** A record that has already arrived, without waiting. */
  poll(): StreamRecord | undefined {
    const r = this.#queue.shift();
    if (r) return r;
    if (this.#failure && this.#failure.kind === 'stream') throw this.#error(this.#failure, 'reading');
    return undefined;
  }

  /** The next record, within `ms`; `what` names what is awaited in the timeout's message. */
  async next(ms: number, what: string): Promise<StreamRecord> {
    for (;;) {
      const r = this.#queue.shift();
      if (r) return r;
      if (this.#failure) throw this.#error(this.#failure, what);
      if (this.#ended) throw this.#error({ kind: 'peer-gone', message: `${this.#peer} ended its stream` }, what);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await new Promise<boolean>((resolve) => {
        this.#waiter = () => resolve(false);
        timer = setTimeout(() => resolve(true), ms);
      });
      clearTimeout(timer);
      this.#waiter = undefined;
      if (timedOut && this.#queue.length === 0 && !this.#failure) {
        this.#fail({ kind: 'timeout', message: `${this.#peer} sent nothing for ${ms} ms while this side waited for ${what}` });
        this.#socket.destroy();
      }
    }
  }

  /** Wait until everything written has left, then close this side. Bounded. */
  async close(ms = 2000): Promise<void> {
    if (this.#socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#socket.end(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #write(bytes: Uint8Array): boolean {
    this.#sent += bytes.byteLength;
    return this.#socket.write(bytes);
  }

  #check(): void {
    if (this.#failure) throw this.#error(this.#failure, 'writing');
    if (this.#socket.destroyed) throw this.#error({ kind: 'peer-gone', message: `${this.#peer} closed the connection` }, 'writing');
  }

  #data(chunk: Buffer): void {
    if (this.#failure) return;
    try {
      for (const r of this.reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) this.#queue.push(r);
    } catch (err) {
      if (!(err instanceof StreamError)) throw err;
      this.#fail({ kind: 'stream', error: err });
      this.#socket.destroy();
    }
    this.#waiter?.();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      this.reader.end();
    } catch (err) {
      if (err instanceof StreamError) this.#fail({ kind: 'stream', error: err });
    }
    this.#waiter?.();
  }

  #fail(f: ChannelFailure): void {
    this.#failure ??= f;
    this.#waiter?.();
  }

  #error(f: ChannelFailure, what: string): ChannelError {
    if (f.kind === 'stream') return new ChannelError(f, `${this.#peer}'s stream: ${f.error.message}`);
    if (f.kind === 'aborted') return new ChannelError(f, `aborted while ${what === 'writing' || what === 'reading' ? what : `waiting for ${what}`}`);
    if (f.kind === 'timeout') return new ChannelError(f, f.message);
    return new ChannelError(f, `${f.message} while this side was ${what === 'writing' || what === 'reading' ? what : `waiting for ${what}`}`);
  }
}

/** The name of a record, for messages about records that came out of turn. */
export function describeRecord(r: StreamRecord): string {
  const code = r.type === 'json' ? r.code : r.type === 'pages' ? 2 : 6;
  return `record ${r.seq} (${recordName(code)}) at byte ${r.offset}`;
}
