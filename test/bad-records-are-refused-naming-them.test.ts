/**
 * The migration stream is untrusted input. A truncated, corrupted, oversized, out-of-order or
 * malformed record is refused with an error that names the record (its number and type) and
 * its byte offset; the destination then discards its partial guest and tells the source why.
 */
import { connect } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { listenForMigration } from '../src/index.ts';
import { encodeJson, encodePages, HEADER_BYTES, preamble, RECORD, RecordReader, StreamError, type StreamRecord } from '../src/migration/stream.ts';
import { SourceState } from '../src/migration/vm-state.ts';

const PAGES = 256;
const memory = new Uint8Array(PAGES * 4096).map((_, i) => (i * 7) & 255);
const setup = encodeJson(RECORD.SETUP, 0, { hello: 'setup' });
const pages = encodePages(1, memory, Uint32Array.from({ length: 64 }, (_, i) => i));
const round = encodeJson(RECORD.ROUND, 2, { round: 1, pagesSent: 64 });
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};
const stream = (...records: Uint8Array[]) => concat(preamble(), ...records);
/** The byte offset of the record that follows `records`. */
const at = (...records: Uint8Array[]) => 8 + records.reduce((n, r) => n + r.byteLength, 0);

function read(bytes: Uint8Array, chunk = 1000): StreamError {
  const r = new RecordReader();
  r.pages = PAGES;
  try {
    for (let i = 0; i < bytes.byteLength; i += chunk) r.push(bytes.subarray(i, i + chunk));
    r.end();
  } catch (err) {
    if (err instanceof StreamError) return err;
    throw err;
  }
  throw new Error('the stream was accepted');
}

describe('the reader', () => {
  it('reads a good stream in chunks of any size', () => {
    for (const chunk of [1, 7, 4096, 1 << 20]) {
      const r = new RecordReader();
      r.pages = PAGES;
      const got = [];
      const bytes = stream(setup, pages, round);
      for (let i = 0; i < bytes.byteLength; i += chunk) got.push(...r.push(bytes.subarray(i, i + chunk)));
      r.end();
      expect(got.map((x) => x.type)).toEqual(['json', 'pages', 'json']);
    }
  });

  it('truncated: the record, its offset, and how much of it arrived', () => {
    const e = read(stream(setup, pages).subarray(0, at(setup) + 5000));
    expect(e.kind).toBe('truncated');
    expect(e.message).toBe(`the stream ended inside record 1 (PAGES) at byte ${at(setup)}: 5000 of ${pages.byteLength} bytes arrived`);
  });

  it('corrupted page data: the page whose data does not match its hash', () => {
    const bad = pages.slice();
    bad[bad.byteLength - 4096 * 3 + 100]! ^= 1; // inside page 61
    const e = read(stream(setup, bad));
    expect(e.kind).toBe('corrupted');
    expect(e.message).toBe(`record 1 (PAGES) at byte ${at(setup)} is corrupted: page 61's data does not match the hash sent with it`);
  });

  it('corrupted header or body: the crc32', () => {
    const bad = round.slice();
    bad[HEADER_BYTES + 3]! ^= 0x20;
    const e = read(stream(setup, pages, bad));
    expect(e.kind).toBe('corrupted');
    expect(e.message).toMatch(new RegExp(`^record 2 \\(ROUND\\) at byte ${at(setup, pages)} is corrupted: its crc32 says 0x[0-9a-f]+, its bytes give 0x[0-9a-f]+$`));
  });

  it('oversized: refused from the header alone, before the body is buffered', () => {
    const bad = round.slice(0, HEADER_BYTES);
    new DataView(bad.buffer).setUint32(8, 0xffff_fff0, true);
    const r = new RecordReader();
    r.push(preamble());
    expect(() => r.push(bad)).toThrow(/^record 0 \(ROUND\) at byte 8 is oversized: its length field says 4294967280 bytes, more than the 2097152 a record may hold$/);
  });

  it('out of order: a record whose number is not the next one', () => {
    const e = read(stream(setup, round));
    expect(e.kind).toBe('out-of-order');
    expect(e.message).toBe(`record 1 (ROUND) at byte ${at(setup)} is out of order: it carries sequence number 2 where 1 was due`);
  });

  it('malformed: a page past the guest, an unknown type, JSON that is not JSON, another version', () => {
    const past = encodePages(1, new Uint8Array(1024 * 4096), [1000]);
    expect(read(stream(setup, past)).message).toBe(`record 1 (PAGES) at byte ${at(setup)} is malformed: page 1000 is past the guest's 256 pages`);
    const unknown = setup.slice();
    unknown[0] = 99;
    expect(read(stream(unknown)).message).toBe('record 0 (type 99) at byte 8 is malformed: no record has type 99');
    const notJson = encodeJson(RECORD.SETUP, 0, 1);
    const raw = concat(notJson.subarray(0, HEADER_BYTES - 8), new Uint8Array(8), new TextEncoder().encode('{'));
    new DataView(raw.buffer).setUint32(8, 1, true);
    expect(read(stream(raw)).kind).toMatch(/corrupted|malformed/);
    const v2 = preamble();
    v2[6] = 2;
    expect(read(concat(v2, setup)).message).toBe('the stream is version 2, this dirtylog reads version 1: run the same dirtylog on both sides');
  });
});

it('a destination refuses a corrupted page record, tells the source, and discards its partial guest', async () => {
  const listener = await listenForMigration({ port: 0 });
  const vmSetup = encodeJson(RECORD.SETUP, 0, {
    vm: { strategy: 'ring', pattern: 'random', engine: 'wasm', memory: PAGES * 4096, vcpus: 1, ringEntries: 1024, seed: 1, stride: 17, zipfExponent: 1.1, hotPages: 256, writeRate: 0, pml: false, deviceWriter: false },
    state: new SourceState({}, 1, PAGES).setup(), migration: {},
  });
  const bad = pages.slice();
  bad[bad.byteLength - 100]! ^= 0x80; // inside page 63
  const socket = connect({ port: listener.port, host: '127.0.0.1' });
  const replies = new RecordReader();
  const got: StreamRecord[] = [];
  socket.on('data', (d: Buffer) => got.push(...replies.push(new Uint8Array(d))));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(stream(vmSetup));
  await vi.waitFor(() => expect(got).toHaveLength(1), { timeout: 20_000 }); // ACCEPT: the guest is built
  socket.write(bad);
  const r = await listener.result;
  expect(r).toMatchObject({ kind: 'failed', phase: 'rounds', pagesReceived: 0 });
  expect(r.verdict).toBe(`failed in phase rounds after ${at(vmSetup, bad)} bytes (1 records): the source's stream: record 1 (PAGES) at byte ${at(vmSetup)} is corrupted: page 63's data does not match the hash sent with it; discarded the partial guest (0 pages received)`);
  expect('vm' in r).toBe(false);
  await vi.waitFor(() => expect(socket.readableEnded || socket.destroyed).toBe(true));
  socket.destroy();
  // The source heard ACCEPT, then nothing more: the destination dropped the connection on the bad record.
  expect(got.map((x) => (x.type === 'json' ? x.code : x.type))).toEqual([RECORD.ACCEPT]);
});
