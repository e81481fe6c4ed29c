/**
 * The shared-indices protocol's transitions (assembly/ring_index.ts) on 32-bit words; `at` is
 * the u32 index of an index word, `e` of an entry. Each function is the only place its
 * transition's ordering is decided (see the Wasm file for the argument).
 */
import { ABI } from '../../layout.ts';

const S = ABI.GFN_SLOT >>> 2;
const O = ABI.GFN_OFFSET >>> 2;

export function makeIndexOps(u32: Uint32Array) {
  return {
    /** Kernel push, payload: slot and offset; the flags word (the RFC's padding) is left alone. */
    gfnWritePayload: (e: number, slot: number, offset: number): void => {
      u32[e + S] = slot;
      u32[e + O] = offset;
      u32[e + O + 1] = 0;
    },
    /** Kernel push, publish: avail_index after the payload, seq-cst. */
    indexPublishAvail: (at: number, avail: number): void => void Atomics.store(u32, at, avail),
    /** Userspace: acquire-load of avail_index. */
    indexAvail: (at: number): number => Atomics.load(u32, at),
    /** Userspace: its own fetch_index (only it writes the word). */
    indexOwnFetch: (at: number): number => u32[at]!,
    /** Userspace: publish fetch_index after reading the entries below it, seq-cst. */
    indexPublishFetch: (at: number, fetch: number): void => void Atomics.store(u32, at, fetch),
    /** Kernel reset: READ_ONCE of the untrusted fetch_index; only this copy is validated and walked to. */
    indexFetchForReset: (at: number): number => Atomics.load(u32, at),
  };
}
