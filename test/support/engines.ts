import { ENGINE_KINDS, type EngineKind } from '../../src/index.ts';

/** Every engine, for describe.each: both must pass every behaviour test. */
export const engines: readonly { engine: EngineKind }[] = ENGINE_KINDS.map((engine) => ({ engine }));

/** A bitmap (KVM layout) with the given pages set. */
export function bitmapWith(pages: readonly number[], numPages: number): Uint8Array {
  const b = new Uint8Array(Math.ceil(numPages / 64) * 8);
  for (const p of pages) b[p >> 3]! |= 1 << (p & 7);
  return b;
}

/** Write a raw kvm_dirty_gfn into a ring view, as a (possibly hostile) userspace can. */
export function scribble(ringBytes: Uint8Array, index: number, e: { flags: number; slot: number; offset: bigint }): void {
  const dv = new DataView(ringBytes.buffer, ringBytes.byteOffset + index * 16, 16);
  dv.setUint32(4, e.slot, true);
  dv.setBigUint64(8, e.offset, true);
  dv.setUint32(0, e.flags, true);
}
