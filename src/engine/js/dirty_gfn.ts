/**
 * kvm_dirty_gfn state transitions (assembly/dirty_gfn.ts) on 32-bit words; `e` is the u32
 * index of an entry. Each function is the only place its transition's ordering is decided.
 */
import { ABI } from '../../layout.ts';

const F = ABI.GFN_FLAGS >>> 2;
const S = ABI.GFN_SLOT >>> 2;
const O = ABI.GFN_OFFSET >>> 2;

export function makeGfnOps(u32: Uint32Array) {
  return {
    /** Acquire-load of the flags word: payload reads must come after this. */
    gfnFlags: (e: number): number => Atomics.load(u32, e + F),
    /** Payload: slot field. Read only after gfnFlags. */
    gfnSlot: (e: number): number => u32[e + S]!,
    /** Payload: the u64 offset's halves. Untrusted. */
    gfnOffsetLo: (e: number): number => u32[e + O]!,
    gfnOffsetHi: (e: number): number => u32[e + O + 1]!,
    /** Kernel push, 00 -> 01: payload first, then publish DIRTY. */
    gfnMarkDirty: (e: number, slot: number, offset: number): void => {
      u32[e + S] = slot;
      u32[e + O] = offset;
      u32[e + O + 1] = 0;
      Atomics.store(u32, e + F, ABI.GFN_F_DIRTY);
    },
    /**
     * Userspace harvest, 01 -> 1X: a plain store, published with the batch by the harvest's
     * seq-cst store of the fetch index (see assembly/dirty_gfn.ts).
     */
    gfnMarkHarvested: (e: number): void => void (u32[e + F] = ABI.GFN_F_RESET),
    /**
     * Kernel reset, 1X -> 00: a plain store, published by the seq-cst store of reset_index
     * after the walk (see assembly/dirty_gfn.ts).
     */
    gfnMarkReset: (e: number): void => void (u32[e + F] = 0),
  };
}

export type GfnOps = ReturnType<typeof makeGfnOps>;
