/**
 * The migration stream: versioned, length-prefixed records over one TCP connection, each side
 * writing its own stream (the source its pages and state, the destination its replies). Layout
 * (little-endian; README "The migration stream" has the table):
 *
 * ```
 *  preamble  "DLMIG\0" u16 version                                    8 bytes, once
 *  record    u8 type · u8 flags (0) · u16 reserved (0) · u32 seq ·    16-byte header
 *            u32 length (of the body) · u32 crc32
 *            body (length bytes)
 * ```
 *
 * `seq` counts records from 0 on each side; the crc32 covers the header's first 12 bytes and
 * the body, except a page record's page data, which each page's own 64-bit hash covers (the
 * destination keeps those hashes for the proof). Everything here is untrusted input: a record
 * is refused, with an error that names it and its byte offset, when it is truncated, corrupted,
 * oversized, out of order, or malformed. Nothing is applied before its record checked whole.
 */
import * as zlib from 'node:zlib';
import { ABI } from '../layout.ts';
import { PAGE_WORDS, hashPage, wordsOf } from './page-hash.ts';

export const STREAM_MAGIC = 'DLMIG\0';
export const STREAM_VERSION = 1;
export const PREAMBLE_BYTES = 8;
export const HEADER_BYTES = 16;
/** The largest body a record may have: a page record holds at most 64 pages (256 KiB). */
export const MAX_BODY_BYTES = 2 * 2 ** 20;
/** Pages in one page record (QEMU sends in similar batches: multifd packets of 128 pages). */
export const PAGES_PER_RECORD = 64;
/** Hashes in one proof record. */
export const HASHES_PER_PROOF = 16384;
/** SEV: the page was sent on the shared (plaintext) path; clear = private. */
export const PAGE_FLAG_SHARED = 1;

/** Record types. Source to destination first, then the destination's replies. */
export const RECORD = {
  SETUP: 1, PAGES: 2, ROUND: 3, STATE: 4, END: 5, PROOF: 6, DONE: 7, CANCEL: 8,
  ACCEPT: 16, REFUSE: 17, RESUMED: 18, VERDICT: 19,
} as const;
export type RecordType = (typeof RECORD)[keyof typeof RECORD];
const NAMES = new Map<number, string>(Object.entries(RECORD).map(([k, v]) => [v, k]));
export const recordName = (type: number): string => NAMES.get(type) ?? `type ${type}`;
/** Records whose body is JSON (UTF-8). */
const JSON_TYPES = new Set<number>([RECORD.SETUP, RECORD.ROUND, RECORD.STATE, RECORD.END, RECORD.DONE, RECORD.CANCEL, RECORD.ACCEPT, RECORD.REFUSE, RECORD.RESUMED, RECORD.VERDICT]);

export type StreamErrorKind = 'truncated' | 'corrupted' | 'oversized' | 'out-of-order' | 'malformed' | 'version';

/** A record refused: which one, where, and why. */
export class StreamError extends Error {
  constructor(readonly kind: StreamErrorKind, message: string, readonly offset: number, readonly record?: number, readonly type?: string) {
    super(message);
    this.name = 'StreamError';
  }
}

/** A decoded record: JSON records carry their parsed (still unchecked) value; binary ones their fields. */
export type StreamRecord =
  | { readonly type: 'json'; readonly code: RecordType; readonly seq: number; readonly offset: number; readonly value: unknown }
  | { readonly type: 'pages'; readonly seq: number; readonly offset: number; readonly pages: Uint32Array; readonly flags: Uint8Array; readonly hashes: Uint32Array; readonly data: Uint8Array }
  | { readonly type: 'proof'; readonly seq: number; readonly offset: number; readonly first: number; readonly hashes: Uint32Array };

// --- checksums -----------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (zlib's), continued from `crc`. Node's zlib.crc32 where it exists (20.15+), the table otherwise. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (native) return native(bytes, crc);
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// --- encoding ------------------------------------------------------------------------------

export function preamble(): Uint8Array {
  const b = new Uint8Array(PREAMBLE_BYTES);
  b.set(new TextEncoder().encode(STREAM_MAGIC));
  new DataView(b.buffer).setUint16(6, STREAM_VERSION, true);
  return b;
}

/** Write the header of a record whose body is already in place after it; `checked` body bytes go into the crc. */
function seal(record: Uint8Array, type: number, seq: number, checked: number): Uint8Array {
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  v.setUint8(0, type);
  v.setUint8(1, 0);
  v.setUint16(2, 0, true);
  v.setUint32(4, seq >>> 0, true);
  v.setUint32(8, record.byteLength - HEADER_BYTES, true);
  const crc = crc32(record.subarray(HEADER_BYTES, HEADER_BYTES + checked), crc32(record.subarray(0, 12)));
  v.setUint32(12, crc, true);
  return record;
}

export function encodeJson(type: RecordType, seq: number, value: unknown): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(value));
  const record = new Uint8Array(HEADER_BYTES + body.byteLength);
  record.set(body, HEADER_BYTES);
  return seal(record, type, seq, body.byteLength);
}

/** Where a page record's parts lie, for `count` pages. */
function pagesLayout(count: number): { flags: number; hashes: number; data: number; body: number } {
  const flags = 4 + 4 * count;
  const hashes = (flags + count + 7) & ~7;
  const data = hashes + 8 * count;
  return { flags, hashes, data, body: data + count * ABI.PAGE_SIZE };
}

/**
 * A page record: the pages' numbers, flags and hashes, then their data, copied out of guest
 * memory now (the hash is of the copy, so a guest write racing the copy cannot make the two
 * disagree; that write is reported by the next sync and sent again).
 */
export function encodePages(seq: number, memory: Uint8Array, pages: ArrayLike<number>, flagsOf?: (page: number) => number): Uint8Array {
  const count = pages.length;
  if (count < 1 || count > PAGES_PER_RECORD) throw new RangeError(`pages must hold 1 to ${PAGES_PER_RECORD} pages, got ${count}`);
  const l = pagesLayout(count);
  const record = new Uint8Array(HEADER_BYTES + l.body);
  const body = record.subarray(HEADER_BYTES);
  const v = new DataView(body.buffer, body.byteOffset);
  v.setUint32(0, count, true);
  const hashes = new Uint32Array(2 * count);
  const words = wordsOf(body);
  for (let i = 0; i < count; i++) {
    const p = pages[i]!;
    v.setUint32(4 + 4 * i, p, true);
    body[l.flags + i] = flagsOf ? flagsOf(p) : 0;
    const at = l.data + i * ABI.PAGE_SIZE;
    body.set(memory.subarray(p * ABI.PAGE_SIZE, (p + 1) * ABI.PAGE_SIZE), at);
    hashPage(words, at >>> 2, hashes, 2 * i);
  }
  new Uint32Array(body.buffer, body.byteOffset + l.hashes, 2 * count).set(hashes);
  return seal(record, RECORD.PAGES, seq, l.data);
}

/** A proof record: the source's hashes of pages [first, first + count). */
export function encodeProof(seq: number, first: number, hashes: Uint32Array): Uint8Array {
  const count = hashes.length / 2;
  if (!Number.isInteger(count) || count < 1 || count > HASHES_PER_PROOF) throw new RangeError(`hashes must hold 1 to ${HASHES_PER_PROOF} pairs, got ${hashes.length} words`);
  const record = new Uint8Array(HEADER_BYTES + 8 + hashes.byteLength);
  const v = new DataView(record.buffer, HEADER_BYTES);
  v.setUint32(0, first, true);
  v.setUint32(4, count, true);
  new Uint32Array(record.buffer, HEADER_BYTES + 8, hashes.length).set(hashes);
  return seal(record, RECORD.PROOF, seq, 8 + hashes.byteLength);
}

// --- decoding ------------------------------------------------------------------------------

/**
 * Reads one side's stream as it arrives, in chunks of any size. A header is checked the moment
 * its 16 bytes are in (a hostile length is refused before anything is buffered for it); a body
 * once it has arrived whole. `pages`, once known (after SETUP), bounds page numbers.
 */
export class RecordReader {
  /** Pages of the guest; page numbers at or past it are refused. */
  pages: number | undefined;
  /** Bytes received and not yet consumed: #buf[#head, #tail). One buffer, so a stream of tiny chunks costs no more than one big one. */
  #buf = new Uint8Array(64 * 1024);
  #head = 0;
  #tail = 0;
  #received = 0;
  /** Bytes of the stream consumed (the preamble and every whole record). */
  #offset = 0;
  #seq = 0;
  #preamble = false;
  #header: { type: number; seq: number; length: number; crc: number } | undefined;

  /** Byte offset of the next record: how far the stream got. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes received so far, whole records or not. */
  get received(): number {
    return this.#received;
  }

  get #buffered(): number {
    return this.#tail - this.#head;
  }

  /** Records decoded so far. */
  get records(): number {
    return this.#seq;
  }

  push(chunk: Uint8Array): StreamRecord[] {
    this.#received += chunk.byteLength;
    if (chunk.byteLength) this.#append(chunk);
    const out: StreamRecord[] = [];
    for (;;) {
      if (!this.#preamble) {
        if (this.#buffered < PREAMBLE_BYTES) return out;
        this.#checkPreamble(this.#take(PREAMBLE_BYTES));
        this.#offset += PREAMBLE_BYTES;
        this.#preamble = true;
      }
      if (!this.#header) {
        if (this.#buffered < HEADER_BYTES) return out;
        this.#header = this.#checkHeader(this.#peek(HEADER_BYTES));
      }
      if (this.#buffered < HEADER_BYTES + this.#header.length) return out;
      const record = this.#take(HEADER_BYTES + this.#header.length);
      out.push(this.#decode(record, this.#header));
      this.#offset += record.byteLength;
      this.#header = undefined;
      this.#seq++;
    }
  }

  /** The stream ended: refused if it ended inside the preamble or a record. */
  end(): void {
    if (this.#buffered === 0) return;
    const h = this.#header;
    const what = !this.#preamble ? 'inside its preamble' : `inside record ${this.#seq}${h ? ` (${recordName(h.type)})` : ''}`;
    const of = h ? ` of ${HEADER_BYTES + h.length}` : '';
    throw new StreamError('truncated', `the stream ended ${what} at byte ${this.#offset}: ${this.#buffered}${of} bytes arrived`, this.#offset, this.#preamble ? this.#seq : undefined, h ? recordName(h.type) : undefined);
  }

  #checkPreamble(b: Uint8Array): void {
    const magic = new TextDecoder().decode(b.subarray(0, 6));
    if (magic !== STREAM_MAGIC) throw new StreamError('malformed', `the stream does not start with dirtylog's preamble "DLMIG\\0": not a dirtylog migration stream`, 0);
    const version = new DataView(b.buffer, b.byteOffset).getUint16(6, true);
    if (version !== STREAM_VERSION) throw new StreamError('version', `the stream is version ${version}, this dirtylog reads version ${STREAM_VERSION}: run the same dirtylog on both sides`, 6);
  }

  #fail(kind: StreamErrorKind, h: { type: number; seq?: number }, why: string): StreamError {
    const seq = this.#seq;
    return new StreamError(kind, `record ${seq} (${recordName(h.type)}) at byte ${this.#offset} is ${kind.replaceAll('-', ' ')}: ${why}`, this.#offset, seq, recordName(h.type));
  }

  #checkHeader(b: Uint8Array): { type: number; seq: number; length: number; crc: number } {
    const v = new DataView(b.buffer, b.byteOffset, HEADER_BYTES);
    const h = { type: v.getUint8(0), seq: v.getUint32(4, true), length: v.getUint32(8, true), crc: v.getUint32(12, true) };
    if (!NAMES.has(h.type)) throw this.#fail('malformed', h, `no record has type ${h.type}`);
    if (v.getUint8(1) !== 0 || v.getUint16(2, true) !== 0) throw this.#fail('malformed', h, 'its flags and reserved bytes must be 0');
    if (h.length > MAX_BODY_BYTES) throw this.#fail('oversized', h, `its length field says ${h.length} bytes, more than the ${MAX_BODY_BYTES} a record may hold`);
    if (h.seq !== this.#seq) throw this.#fail('out-of-order', h, `it carries sequence number ${h.seq} where ${this.#seq} was due`);
    return h;
  }

  #decode(record: Uint8Array, h: { type: number; seq: number; length: number; crc: number }): StreamRecord {
    const body = record.subarray(HEADER_BYTES);
    const checked = h.type === RECORD.PAGES ? this.#pagesChecked(body, h) : body.byteLength;
    const crc = crc32(body.subarray(0, checked), crc32(record.subarray(0, 12)));
    if (crc !== h.crc) throw this.#fail('corrupted', h, `its crc32 says 0x${h.crc.toString(16)}, its bytes give 0x${crc.toString(16)}`);
    if (h.type === RECORD.PAGES) return this.#decodePages(body, h);
    if (h.type === RECORD.PROOF) return this.#decodeProof(body, h);
    if (!JSON_TYPES.has(h.type)) throw this.#fail('malformed', h, 'unknown body');
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch (err) {
      throw this.#fail('malformed', h, `its body is not JSON (${err instanceof Error ? err.message.slice(0, 80) : String(err)})`);
    }
    return { type: 'json', code: h.type as RecordType, seq: h.seq, offset: this.#offset, value };
  }

  /** A page record's index part (what the crc covers), after checking the count fits the length. */
  #pagesChecked(body: Uint8Array, h: { type: number }): number {
    if (body.byteLength < 4) throw this.#fail('malformed', h, `a page record needs at least 4 bytes, got ${body.byteLength}`);
    const count = new DataView(body.buffer, body.byteOffset).getUint32(0, true);
    if (count < 1 || count > PAGES_PER_RECORD) throw this.#fail('malformed', h, `it says it holds ${count} pages, and a page record holds 1 to ${PAGES_PER_RECORD}`);
    const l = pagesLayout(count);
    if (body.byteLength !== l.body) throw this.#fail('malformed', h, `${count} pages take ${l.body} bytes, its length says ${body.byteLength}`);
    return l.data;
  }

  #decodePages(body: Uint8Array, h: { type: number }): StreamRecord {
    const v = new DataView(body.buffer, body.byteOffset);
    const count = v.getUint32(0, true);
    const l = pagesLayout(count);
    const pages = new Uint32Array(count);
    let last = -1;
    for (let i = 0; i < count; i++) {
      const p = v.getUint32(4 + 4 * i, true);
      if (p <= last) throw this.#fail('malformed', h, `its pages must ascend, got page ${p} after page ${last}`);
      if (this.pages !== undefined && p >= this.pages) throw this.#fail('malformed', h, `page ${p} is past the guest's ${this.pages} pages`);
      pages[i] = last = p;
    }
    const flags = body.slice(l.flags, l.flags + count);
    const bad = flags.findIndex((f) => (f & ~PAGE_FLAG_SHARED) !== 0);
    if (bad >= 0) throw this.#fail('malformed', h, `page ${pages[bad]} has flags 0x${flags[bad]!.toString(16)}; only 0x1 (sent shared) is defined`);
    const hashes = new Uint32Array(body.buffer.slice(body.byteOffset + l.hashes, body.byteOffset + l.data));
    const data = body.subarray(l.data);
    const words = wordsOf(data);
    const got = new Uint32Array(2);
    for (let i = 0; i < count; i++) {
      hashPage(words, i * PAGE_WORDS, got, 0);
      if (got[0] !== hashes[2 * i] || got[1] !== hashes[2 * i + 1]) throw this.#fail('corrupted', h, `page ${pages[i]}'s data does not match the hash sent with it`);
    }
    return { type: 'pages', seq: this.#seq, offset: this.#offset, pages, flags, hashes, data };
  }

  #decodeProof(body: Uint8Array, h: { type: number }): StreamRecord {
    if (body.byteLength < 8) throw this.#fail('malformed', h, `a proof record needs at least 8 bytes, got ${body.byteLength}`);
    const v = new DataView(body.buffer, body.byteOffset);
    const first = v.getUint32(0, true);
    const count = v.getUint32(4, true);
    if (count < 1 || count > HASHES_PER_PROOF) throw this.#fail('malformed', h, `it says it holds ${count} hashes, and a proof record holds 1 to ${HASHES_PER_PROOF}`);
    if (body.byteLength !== 8 + 8 * count) throw this.#fail('malformed', h, `${count} hashes take ${8 + 8 * count} bytes, its length says ${body.byteLength}`);
    if (this.pages !== undefined && first + count > this.pages) throw this.#fail('malformed', h, `pages ${first} to ${first + count - 1} run past the guest's ${this.pages} pages`);
    return { type: 'proof', seq: this.#seq, offset: this.#offset, first, hashes: new Uint32Array(body.buffer.slice(body.byteOffset + 8, body.byteOffset + body.byteLength)) };
  }

  #append(chunk: Uint8Array): void {
    if (this.#tail + chunk.byteLength > this.#buf.byteLength) {
      const live = this.#buffered;
      // What stays buffered is at most one partial record (its length checked against
      // MAX_BODY_BYTES as soon as its header is in) plus the chunk that arrived.
      const size = Math.max(this.#buf.byteLength, 2 ** Math.ceil(Math.log2(live + chunk.byteLength)));
      if (size > this.#buf.byteLength) {
        const next = new Uint8Array(size);
        next.set(this.#buf.subarray(this.#head, this.#tail));
        this.#buf = next;
      } else this.#buf.copyWithin(0, this.#head, this.#tail);
      this.#head = 0;
      this.#tail = live;
    }
    this.#buf.set(chunk, this.#tail);
    this.#tail += chunk.byteLength;
  }

  /** The first `n` buffered bytes, without consuming them. */
  #peek(n: number): Uint8Array {
    return this.#buf.subarray(this.#head, this.#head + n);
  }

  /** Consume `n` bytes into a fresh, aligned buffer (page data is read as 32-bit words). */
  #take(n: number): Uint8Array {
    const out = this.#buf.slice(this.#head, this.#head + n);
    this.#head += n;
    if (this.#head === this.#tail) this.#head = this.#tail = 0;
    return out;
  }
}
