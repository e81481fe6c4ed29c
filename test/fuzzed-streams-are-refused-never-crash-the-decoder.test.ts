/**
 * 10^4 mutated migration streams thrown at the destination's decoding path (the record reader,
 * then each record's decoder, the VM state's decoders and checks included): every one is either
 * read whole or refused with one of the library's three input errors (StreamError, TypeError,
 * RangeError, each naming what it refused). Nothing else is ever thrown, no read hangs, and the
 * reader never buffers more than one record plus one chunk.
 */
import { expect, it } from 'vitest';
import { prng } from '../src/prng.ts';
import { decodeCancel, decodeCounts, decodeSetup, decodeStateRecord } from '../src/migration/records.ts';
import { encodeJson, encodePages, encodeProof, HASHES_PER_PROOF, MAX_BODY_BYTES, preamble, RECORD, RecordReader, StreamError, type StreamRecord } from '../src/migration/stream.ts';
import { DestinationState, SourceState } from '../src/migration/vm-state.ts';

const PAGES = 64;
const STREAMS = 10_000;
const memory = new Uint8Array(PAGES * 4096).map((_, i) => (i * 13) & 255);

function validStream(): Uint8Array {
  const src = new SourceState({ sev: { conversionsPerRound: 2 } }, 2, PAGES);
  const setup = { vm: { strategy: 'ring', pattern: 'random', engine: 'wasm', memory: PAGES * 4096, vcpus: 2, ringEntries: 1024, seed: 1, stride: 17, zipfExponent: 1.1, hotPages: 64, writeRate: 0, pml: false, deviceWriter: false }, state: src.setup(), migration: {} };
  let seq = 0;
  const records = [
    encodeJson(RECORD.SETUP, seq++, setup),
    encodePages(seq++, memory, [0, 1, 5]),
    encodePages(seq++, memory, [6, 63]),
    encodeJson(RECORD.ROUND, seq++, { round: 1, pagesSent: 5 }),
    encodeJson(RECORD.STATE, seq++, { state: src.save(BigInt(Date.now()) * 1_000_000n), vcpus: [{ cursor: 3, passes: 0, rng: [1, 2], pendingPage: 0 }, { cursor: 0, passes: 1, rng: [5, 0], pendingPage: 4 }], stamp: 2 }),
    encodeJson(RECORD.END, seq++, { pagesSent: 5, rounds: 1, finalPages: 0 }),
    encodeProof(seq++, 0, new Uint32Array(2 * PAGES).fill(7)),
    encodeJson(RECORD.DONE, seq++, { pages: PAGES }),
    encodeJson(RECORD.CANCEL, seq++, { phase: 'rounds', reason: 'x' }),
  ];
  const out = new Uint8Array(8 + records.reduce((n, r) => n + r.byteLength, 0));
  out.set(preamble());
  let at = 8;
  for (const r of records) {
    out.set(r, at);
    at += r.byteLength;
  }
  return out;
}

/** What the destination does with each record's body. */
function decode(r: StreamRecord): void {
  if (r.type !== 'json') return;
  const dst = new DestinationState({});
  switch (r.code) {
    case RECORD.SETUP: {
      const s = decodeSetup(r.value);
      dst.checkSetup(s.state);
      break;
    }
    case RECORD.STATE: {
      const s = decodeStateRecord(r.value);
      dst.restore(s.state, { sharedAtLastCopy: () => undefined });
      break;
    }
    case RECORD.ROUND: decodeCounts('round', r.value, ['round', 'pagesSent']); break;
    case RECORD.END: decodeCounts('end', r.value, ['pagesSent', 'rounds', 'finalPages']); break;
    case RECORD.DONE: decodeCounts('done', r.value, ['pages']); break;
    case RECORD.CANCEL: decodeCancel(r.value); break;
    default: break;
  }
}

function mutate(base: Uint8Array, rand: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rand() * n);
  let s = base.slice();
  const edits = 1 + pick(4);
  for (let e = 0; e < edits; e++) {
    const at = pick(s.byteLength);
    switch (pick(7)) {
      case 0: s[at]! ^= 1 << pick(8); break; // flip a bit
      case 1: s[at] = pick(256); break; // overwrite a byte
      case 2: s = s.slice(0, at); break; // truncate
      case 3: { // insert random bytes
        const ins = Uint8Array.from({ length: 1 + pick(40) }, () => pick(256));
        const n = new Uint8Array(s.byteLength + ins.byteLength);
        n.set(s.subarray(0, at));
        n.set(ins, at);
        n.set(s.subarray(at), at + ins.byteLength);
        s = n;
        break;
      }
      case 4: { // delete a slice
        const len = Math.min(1 + pick(200), s.byteLength - at);
        const n = new Uint8Array(Math.max(0, s.byteLength - len));
        n.set(s.subarray(0, at));
        n.set(s.subarray(Math.min(s.byteLength, at + len)), at);
        s = n;
        break;
      }
      case 5: { // a hostile 32-bit field: a length, a count, a sequence number
        const v = [0, 1, 0xffffffff, 0x7fffffff, MAX_BODY_BYTES + 1, 65, HASHES_PER_PROOF + 1][pick(7)]!;
        if (at + 4 <= s.byteLength) new DataView(s.buffer, s.byteOffset).setUint32(at, v, true);
        break;
      }
      default: { // duplicate a slice in place of another
        const len = 1 + pick(64);
        const from = pick(Math.max(1, s.byteLength - len));
        s.copyWithin(at, from, from + len);
      }
    }
  }
  return s;
}

it(`refuses or reads every one of ${STREAMS} mutated streams, with a named input error`, () => {
  const base = validStream();
  const rand = prng(0x5eed);
  const refused = new Map<string, number>();
  let whole = 0;
  for (let i = 0; i < STREAMS; i++) {
    const bytes = i === 0 ? base : mutate(base, rand);
    const reader = new RecordReader();
    reader.pages = PAGES;
    try {
      for (let at = 0; at < bytes.byteLength;) {
        const n = 1 + Math.floor(rand() * 9000);
        for (const r of reader.push(bytes.subarray(at, at + n))) decode(r);
        at += n;
        expect(reader.received - reader.offset).toBeLessThanOrEqual(MAX_BODY_BYTES + 16 + 9000);
      }
      reader.end();
      whole++;
    } catch (err) {
      if (!(err instanceof StreamError || err instanceof TypeError || err instanceof RangeError)) throw err;
      // A decoder's own words ("x must be ..."), never an engine error like "offset is out of bounds".
      if (!(err instanceof StreamError)) expect(err.message).toMatch(/ must (be|hold|cover|lack)|is not an option|refused/);
      const kind = err instanceof StreamError ? err.kind : err.constructor.name;
      refused.set(kind, (refused.get(kind) ?? 0) + 1);
    }
  }
  expect(whole).toBeGreaterThanOrEqual(1); // the unmutated stream, at least
  // Every kind of refusal was reached: the mutations exercise every check, not one.
  for (const kind of ['truncated', 'corrupted', 'oversized', 'out-of-order', 'malformed']) expect(refused.get(kind) ?? 0).toBeGreaterThan(0);
  expect([...refused.values()].reduce((a, b) => a + b, 0) + whole).toBe(STREAMS);
}, 60_000);
